@guestfs @needs:guestfs @needs:host @ref:libguestfs.api
Feature: libguestfs handles and disk images
  libguestfs, the alliance's API for disk images, works on the stack's host:
  a handle reports its version and takes a backend, launches its appliance with
  the accelerator the probe chose and shuts it down; disk_create makes images
  that qemu-img describes the same way; a filesystem written through the
  appliance reads back unchanged. A drive added read-only is never written:
  libguestfs puts a throwaway overlay over it, so writes through a read-write
  mount succeed inside the session and the image stays byte-identical, while a
  read-only mount refuses writes.
  Disks live in a storage pool of the scenario on the stack's host.

  @req:GFS-001 @must
  Scenario: A handle reports the library's version
    Given a libguestfs handle
    Then the libguestfs version is at least 1.40.0 and is the probed library's

  @req:GFS-002 @should
  Scenario: A handle's backend can be chosen
    Given a libguestfs handle
    When I set the libguestfs backend to direct
    Then the libguestfs backend is direct
    When I set the libguestfs backend to libvirt on the stack under test
    Then the libguestfs backend is libvirt on the stack under test
    And the handle keeps the probed backend settings

  @req:GFS-003 @must @needs:guestfs-appliance
  Scenario: A handle launches its appliance and shuts it down
    Given a libguestfs handle
    And libguestfs creates a raw disk "scratch.img" of 32 MiB
    And I add disk "scratch.img" to the handle
    When I launch the libguestfs appliance
    Then the appliance lists 1 disk device
    And the appliance's process is running
    When I shut the libguestfs appliance down
    Then the appliance's process is gone

  @req:GFS-004 @must
  Scenario: disk_create makes a raw image of the requested size
    Given a libguestfs handle
    When libguestfs creates a raw disk "plain.img" of 100 MiB
    Then qemu-img reports disk "plain.img" as raw with a virtual size of 100 MiB

  @req:GFS-005 @must
  Scenario: disk_create makes a qcow2 image on a backing file
    Given a libguestfs handle
    And libguestfs creates a raw disk "base.img" of 100 MiB
    When libguestfs creates a qcow2 disk "top.qcow2" backed by raw disk "base.img"
    Then qemu-img reports disk "top.qcow2" as qcow2 with a virtual size of 100 MiB
    And qemu-img reports disk "top.qcow2" backed by "base.img" in format raw

  @req:GFS-006 @must @needs:guestfs-appliance
  Scenario: A file written to a new ext4 filesystem reads back unchanged
    Given a libguestfs handle
    And libguestfs creates a qcow2 disk "data.qcow2" of 64 MiB
    And I add disk "data.qcow2" to the handle
    When I launch the libguestfs appliance
    And libguestfs partitions disk 1, makes an ext4 filesystem on it and mounts it
    And libguestfs writes 256 KiB of random data to "/payload.bin"
    Then reading "/payload.bin" back through libguestfs gives the same data
    And the appliance's sha256 checksum of "/payload.bin" is the data's

  @req:GFS-007 @must @needs:guestfs-appliance
  Scenario: A drive added read-only keeps its image unchanged, and a read-only mount refuses writes
    Given an ext4 disk "ro.img" holding "/etc/hostname", made on the host with mkfs.ext4
    And I note the sha256 of disk "ro.img"
    And a libguestfs handle
    And I add disk "ro.img" to the handle read-only
    When I launch the libguestfs appliance
    And libguestfs mounts disk 1 read-only
    And I try to write "/etc/hostname" through libguestfs
    Then the libguestfs call failed saying "Read-only file system"
    When libguestfs unmounts everything
    And libguestfs mounts disk 1 read-write
    And libguestfs writes 4 KiB of random data to "/etc/hostname"
    Then reading "/etc/hostname" back through libguestfs gives the same data
    When I close the libguestfs handle
    Then disk "ro.img" has the noted sha256
