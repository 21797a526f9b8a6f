@blockjobs @ref:libvirt.api.domain
Feature: Block jobs and disk changes on a running domain
  Management applications move, grow and flatten a running domain's disks
  without stopping it: block copy then pivot (storage migration), active
  commit and pull after a disk-only snapshot (oVirt's live merge), a live
  resize. Each job is followed through its block job info and its end is seen
  in the domain's live XML.

  @req:BLOCK-001 @must @needs:persistent
  Scenario: A running domain's disk is reported with its capacity
    Given a running domain "vm" with a qcow2 disk
    Then the block info of disk vda of domain "vm" gives a capacity of 64 MiB and a physical size

  @req:BLOCK-002 @must @needs:persistent
  Scenario: A running domain's disk grows live
    Given a running domain "vm" with a qcow2 disk
    When I resize disk vda of domain "vm" to 96 MiB live
    Then the block info of disk vda of domain "vm" gives a capacity of 96 MiB and a physical size

  @req:BLOCK-003 @must @needs:persistent
  Scenario: A block copy becomes ready and its pivot moves the running domain onto the copy
    Given a running domain "vm" with a qcow2 disk
    When I start copying disk vda of domain "vm" to a new qcow2 file "copy.qcow2"
    Then the block job of disk vda of domain "vm" is a copy that becomes ready
    When I pivot the block job of disk vda of domain "vm"
    Then disk vda of domain "vm" has no block job
    And the live disk vda of domain "vm" is the copy "copy.qcow2"

  @req:BLOCK-004 @should @needs:persistent
  Scenario: A block job's speed is set and read back, and a cancelled copy leaves the disk where it was
    Given a running domain "vm" with a qcow2 disk
    When I start copying disk vda of domain "vm" to a new qcow2 file "copy.qcow2"
    Then the block job of disk vda of domain "vm" is a copy that becomes ready
    When I set the block job speed of disk vda of domain "vm" to 8 MiB/s
    Then the block job of disk vda of domain "vm" runs at 8 MiB/s
    When I cancel the block job of disk vda of domain "vm"
    Then disk vda of domain "vm" has no block job
    And the live disk vda of domain "vm" is its own volume

  @req:BLOCK-005 @must @needs:persistent @ref:ovirt.vdsm.snapshot
  Scenario: An active commit merges a snapshot's overlay back into its base (live merge)
    Given a running domain "vm" with a qcow2 disk
    When I take a disk-only external snapshot "s1" of domain "vm"
    Then the live disk vda of domain "vm" is the overlay of snapshot "s1"
    When I commit the active layer of disk vda of domain "vm" into its backing file
    Then the block job of disk vda of domain "vm" is an active commit that becomes ready
    When I pivot the block job of disk vda of domain "vm"
    Then disk vda of domain "vm" has no block job
    And the live disk vda of domain "vm" is its own volume, with no backing file

  @req:BLOCK-006 @should @needs:persistent
  Scenario: A block pull flattens the backing chain into the overlay
    Given a running domain "vm" with a qcow2 disk
    When I take a disk-only external snapshot "s1" of domain "vm"
    And I pull the backing chain of disk vda of domain "vm"
    Then disk vda of domain "vm" has no block job
    And the live disk vda of domain "vm" is the overlay of snapshot "s1", with no backing file

  @req:BLOCK-007 @should @needs:persistent
  Scenario: A block rebase onto no base flattens the backing chain, as a pull does
    Given a running domain "vm" with a qcow2 disk
    When I take a disk-only external snapshot "s1" of domain "vm"
    And I rebase onto no base the backing chain of disk vda of domain "vm"
    Then disk vda of domain "vm" has no block job
    And the live disk vda of domain "vm" is the overlay of snapshot "s1", with no backing file

  @req:BLOCK-008 @should @needs:persistent
  Scenario: Peeking at a running domain's disk reads what the disk holds
    Given a shut off domain "vm" with a raw disk
    When I upload 64 KiB of random data to volume "vm-disk" in pool "store"
    And I start domain "vm"
    Then peeking at the first 64 KiB of disk vda of domain "vm" gives the data uploaded to volume "vm-disk" in pool "store"
