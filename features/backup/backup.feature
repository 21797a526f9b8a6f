@backup @ref:libvirt.statecapture @ref:libvirt.api.checkpoint
Feature: Checkpoints and backup
  Backup applications take full and incremental backups of running domains:
  checkpoints record, as bitmaps in the disk images, what changed since; a push
  backup writes a disk to a target, a pull backup exports it over NBD for the
  application to read. The checkpoint tree is read back through the API and
  the bitmaps in the images; what a backup gives is compared with the disk.

  @req:BACKUP-001 @must @needs:persistent
  Scenario: Checkpoints of a running domain form a tree of parents and children
    Given a running domain "vm" with a qcow2 disk
    When I create checkpoint "c1" of domain "vm"
    And I create checkpoint "c2" of domain "vm"
    Then domain "vm" lists the checkpoints "c1,c2"
    And checkpoint "c1" of domain "vm" has no parent
    And checkpoint "c2" of domain "vm" has the parent "c1"
    And the children of checkpoint "c1" of domain "vm" are "c2"

  @req:BACKUP-002 @should @needs:persistent @needs:host
  Scenario: A checkpoint names its disk's bitmap, which the disk image keeps when the domain stops
    Given a running domain "vm" with a qcow2 disk
    When I create checkpoint "c1" of domain "vm"
    Then the XML of checkpoint "c1" of domain "vm" names a bitmap of disk vda
    When I destroy domain "vm"
    Then the disk image of domain "vm" holds the bitmaps "c1"

  @req:BACKUP-003 @must @needs:persistent
  Scenario: A deleted checkpoint leaves the list and its child takes its place in the tree
    Given a running domain "vm" with a qcow2 disk
    When I create checkpoint "c1" of domain "vm"
    And I create checkpoint "c2" of domain "vm"
    And I delete checkpoint "c1" of domain "vm"
    Then domain "vm" lists the checkpoints "c2"
    And checkpoint "c2" of domain "vm" has no parent

  @req:BACKUP-004 @should @needs:persistent
  Scenario: A checkpoint whose metadata was deleted is redefined from its XML
    Given a running domain "vm" with a qcow2 disk
    When I create checkpoint "c1" of domain "vm"
    And I create checkpoint "c2" of domain "vm"
    And I delete checkpoint "c2" of domain "vm" but keep its bitmap
    Then domain "vm" lists the checkpoints "c1"
    When I redefine checkpoint "c2" of domain "vm" from the XML it had, checked against its bitmap
    Then domain "vm" lists the checkpoints "c1,c2"
    And checkpoint "c2" of domain "vm" has the parent "c1"

  @req:BACKUP-005 @must @needs:persistent @needs:host
  Scenario: A push backup of a running domain's disk completes and holds the disk's data
    Given a shut off domain "vm" with a raw disk
    When I upload 64 KiB of random data to volume "vm-disk" in pool "store"
    And I start domain "vm"
    And I back up disk vda of domain "vm" in push mode to a new qcow2 file "full.qcow2"
    Then the backup job of domain "vm" completes and is recorded as a completed backup
    And the qcow2 file "full.qcow2" holds the same data as volume "vm-disk" in pool "store"

  @req:BACKUP-006 @should @needs:persistent @needs:host
  Scenario: A pull backup exports the disk over NBD until it is aborted
    Given a shut off domain "vm" with a raw disk
    When I upload 64 KiB of random data to volume "vm-disk" in pool "store"
    And I start domain "vm"
    And I start a pull backup of disk vda of domain "vm" over NBD
    Then the backup XML of domain "vm" describes a pull backup of disk vda over NBD
    And the NBD export of domain "vm" holds the same data as volume "vm-disk" in pool "store"
    When I abort the job of domain "vm"
    Then domain "vm" has no job
