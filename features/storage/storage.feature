@storage @ref:libvirt.api.storage @ref:libvirt.formatstorage
Feature: Storage pools and volumes
  Directory pools and their raw and qcow2 volumes: the lifecycle of a pool, the
  volume operations a management application relies on, data through libvirt
  streams, lookups that agree, and typed errors.

  @req:STOR-001 @must @core
  Scenario: A directory pool goes through its whole lifecycle
    When I define storage pool "p"
    Then storage pool "p" is inactive
    And storage pool "p" is persistent
    When I build storage pool "p"
    And I start storage pool "p"
    Then storage pool "p" is active
    And storage pool "p" reports a capacity that covers its allocation and free space
    When I refresh storage pool "p"
    And I destroy storage pool "p"
    Then storage pool "p" is inactive
    When I delete storage pool "p"
    And I undefine storage pool "p"
    Then there is no storage pool "p"

  @req:STOR-002 @should
  Scenario: A transient pool exists while it is active
    When I create transient storage pool "p"
    Then storage pool "p" is active
    And storage pool "p" is transient
    When I destroy storage pool "p"
    Then there is no storage pool "p"

  @req:STOR-003 @must @core
  Scenario: Pool autostart can be set and cleared
    Given a storage pool "p"
    When I set autostart on for storage pool "p"
    Then storage pool "p" has autostart on
    When I set autostart off for storage pool "p"
    Then storage pool "p" has autostart off

  @req:STOR-004 @must @core
  Scenario: Pool lookups by name and UUID agree
    Given a storage pool "p"
    Then looking up storage pool "p" by name and UUID gives the same pool

  @req:STOR-005 @must @core
  Scenario: A raw volume has the capacity and format asked for
    Given a storage pool "p"
    When I create a raw volume "v" of 4 MiB in pool "p"
    Then volume "v" in pool "p" has a capacity of 4 MiB
    And volume "v" in pool "p" reports an allocation no larger than its capacity
    And volume "v" in pool "p" has format "raw"
    And the volume list of pool "p" includes "v"

  @req:STOR-006 @must @ref:libvirt.storage @ref:ovirt.vdsm.qcow2
  Scenario: A qcow2 volume has the capacity and format asked for, and starts thin
    Given a storage pool "p"
    When I create a qcow2 volume "v" of 8 MiB in pool "p"
    Then volume "v" in pool "p" has a capacity of 8 MiB
    And volume "v" in pool "p" reports an allocation no larger than 1 MiB
    And volume "v" in pool "p" has format "qcow2"

  @req:STOR-007 @should
  Scenario: A volume can be grown
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I resize volume "v" in pool "p" to 8 MiB
    Then volume "v" in pool "p" has a capacity of 8 MiB

  @req:STOR-008 @must @core
  Scenario: A cloned volume has the capacity of its source
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I clone volume "v" in pool "p" as "c"
    Then volume "c" in pool "p" has a capacity of 4 MiB
    And the volume list of pool "p" includes "c"

  @req:STOR-009 @should
  Scenario: A cloned volume has the content of its source
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I upload 256 KiB of random data to volume "v" in pool "p"
    And I clone volume "v" in pool "p" as "c"
    Then volumes "v" and "c" in pool "p" have the same first 256 KiB
    And the first 256 KiB of volume "c" in pool "p" are the data uploaded to volume "v"

  @req:STOR-010 @must @ref:libvirt.storage @ref:ovirt.vdsm.qcow2
  Scenario: A qcow2 volume can be backed by another volume
    Given a storage pool "p"
    And a raw volume "base" of 4 MiB in pool "p"
    When I create a qcow2 volume "top" of 4 MiB in pool "p" backed by volume "base"
    Then volume "top" in pool "p" is backed by volume "base"
    And volume "top" in pool "p" has format "qcow2"

  @req:STOR-011 @should
  Scenario: Data uploaded through a stream downloads unchanged
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I upload 1024 KiB of random data to volume "v" in pool "p"
    Then downloading volume "v" in pool "p" gives back the uploaded data

  @req:STOR-012 @should
  Scenario: A wiped volume reads as zeros
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I upload 64 KiB of random data to volume "v" in pool "p"
    And I wipe volume "v" in pool "p"
    Then the first 64 KiB of volume "v" in pool "p" are zeros

  @req:STOR-013 @must @core
  Scenario: A deleted volume is gone
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I delete volume "v" in pool "p"
    Then the volume list of pool "p" excludes "v"
    When I try to look up volume "v" in pool "p"
    Then the call fails with VIR_ERR_NO_STORAGE_VOL

  @req:STOR-014 @must @core
  Scenario: Volume lookups by name, key and path agree
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    Then looking up volume "v" in pool "p" by name, key and path gives the same volume

  @req:STOR-015 @must @core
  Scenario: A second volume with the same name is refused
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I try to create a raw volume "v" of 4 MiB in pool "p"
    Then the call is refused as a duplicate
    And volume "v" in pool "p" has a capacity of 4 MiB

  @req:STOR-016 @should
  Scenario: A duplicate volume name is refused as VIR_ERR_STORAGE_VOL_EXIST
    Given a storage pool "p"
    And a raw volume "v" of 4 MiB in pool "p"
    When I try to create a raw volume "v" of 4 MiB in pool "p"
    Then the call fails with VIR_ERR_STORAGE_VOL_EXIST

  @req:STOR-017 @should
  Scenario: Pool lifecycle events arrive in order
    When I watch storage pool events
    And I define storage pool "p"
    And I build storage pool "p"
    And I start storage pool "p"
    And I destroy storage pool "p"
    And I undefine storage pool "p"
    Then the storage pool events of "p" include, in order, "defined, started, stopped, undefined" within 5 seconds

  @req:STOR-018 @must @needs:host
  Scenario: A filesystem pool on a block device is formatted, mounted, holds volumes, and is unmounted when stopped
    Given a loop device "disk" of 64 MiB on the host
    When I define a filesystem pool "fsp" of format ext4 on loop device "disk"
    And I build storage pool "fsp", formatting its device
    And I start storage pool "fsp"
    Then storage pool "fsp" is mounted from loop device "disk"
    When I create a raw volume "v" of 8 MiB in pool "fsp"
    Then storage pool "fsp" reports a capacity that covers its allocation and free space
    And volume "v" in pool "fsp" has a capacity of 8 MiB
    When I delete volume "v" in pool "fsp"
    And I destroy storage pool "fsp"
    Then storage pool "fsp" is not mounted

  @req:STOR-019 @should
  Scenario: A volume wiped with the zero pattern reads as zeros
    Given a storage pool "pool"
    And a raw volume "v" of 1 MiB in pool "pool"
    When I upload 64 KiB of random data to volume "v" in pool "pool"
    And I wipe volume "v" in pool "pool" with the zero pattern
    Then the first 64 KiB of volume "v" in pool "pool" are zeros

  @req:STOR-020 @must
  Scenario: A storage pool is found by its target path, and its UUID bytes are its UUID string's
    Given a storage pool "pool"
    Then looking up storage pool "pool" by its target path gives the pool, whose UUID bytes are its UUID string's

  @req:STOR-021 @should @needs:host
  Scenario: A volume's physical size is the size of its file
    Given a storage pool "pool"
    And a qcow2 volume "v" of 16 MiB in pool "pool"
    Then the physical size of volume "v" in pool "pool" is the size of its file on the host

  @req:STOR-022 @should
  Scenario: The sources a pool type finds on the host are answered as a sources document
    Then the stack answers the logical pool sources it finds as a sources document

  @req:STOR-023 @should
  Scenario: Data sent through a stream's send-all loop comes back through its receive-all loop
    Given a storage pool "pool"
    And a raw volume "v" of 1 MiB in pool "pool"
    Then 256 KiB sent to volume "v" in pool "pool" through the stream's send-all loop come back through its receive-all loop
