@snapshot @needs:persistent @ref:libvirt.api.snapshot @ref:libvirt.formatsnapshot
Feature: Snapshots and checkpoints
  Internal snapshots of stopped and running domains, disk-only external
  snapshots, the snapshot tree, revert and delete. Reverting to an external
  snapshot either works or is refused clearly, never silently wrong.

  @req:SNAP-001 @should
  Scenario: An internal snapshot of a shut-off domain is listed and current
    Given a shut off domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    Then domain "vm" has the snapshot "s1"
    And the current snapshot of domain "vm" is "s1"
    And snapshot "s1" of domain "vm" recorded the domain as shut off

  @req:SNAP-002 @should
  Scenario: An internal snapshot of a running domain records it running
    Given a running domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    Then snapshot "s1" of domain "vm" recorded the domain as running
    And domain "vm" is running

  @req:SNAP-003 @must @ref:libvirt.statecapture @ref:ovirt.vdsm.snapshot
  Scenario: A disk-only external snapshot of a running domain is listed
    Given a running domain "vm" with a qcow2 disk
    When I take a disk-only external snapshot "ext" of domain "vm"
    Then domain "vm" has the snapshot "ext"
    And domain "vm" is running
    And domain "vm" now writes to the overlay of snapshot "ext", backed by its former disk

  @req:SNAP-004 @should
  Scenario: Snapshots form a tree with parents and children
    Given a shut off domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I take an internal snapshot "s2" of domain "vm"
    Then domain "vm" has snapshots "s1, s2"
    And snapshot "s1" of domain "vm" has no parent
    And snapshot "s2" of domain "vm" has the parent "s1"
    And the children of snapshot "s1" of domain "vm" are "s2"
    And the current snapshot of domain "vm" is "s2"

  @req:SNAP-005 @should
  Scenario: Reverting to a snapshot of a running domain runs it again
    Given a running domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I destroy domain "vm"
    And I revert domain "vm" to snapshot "s1"
    Then domain "vm" is running with reason "from snapshot"

  @req:SNAP-006 @should
  Scenario: Reverting to a snapshot of a shut-off domain stops it
    Given a shut off domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I start domain "vm"
    And I revert domain "vm" to snapshot "s1"
    Then domain "vm" is shut off

  @req:SNAP-007 @should
  Scenario: Deleting a leaf snapshot keeps its parent
    Given a shut off domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I take an internal snapshot "s2" of domain "vm"
    And I delete snapshot "s2" of domain "vm"
    Then domain "vm" has the snapshot "s1"

  @req:SNAP-008 @should
  Scenario: Deleting a snapshot with its children removes the subtree
    Given a shut off domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I take an internal snapshot "s2" of domain "vm"
    And I delete snapshot "s1" of domain "vm" with its children
    Then domain "vm" has no snapshots

  @req:SNAP-009 @should
  Scenario: Deleting a parent snapshot alone re-parents its children
    Given a shut off domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I take an internal snapshot "s2" of domain "vm"
    And I delete snapshot "s1" of domain "vm"
    Then domain "vm" has the snapshot "s2"
    And snapshot "s2" of domain "vm" has no parent

  @req:SNAP-010 @should
  Scenario: Reverting to an external snapshot works or is refused as unsupported
    Given a running domain "vm" with a qcow2 disk
    When I take a disk-only external snapshot "ext" of domain "vm"
    And I try to revert domain "vm" to snapshot "ext"
    Then the revert either made "ext" the current snapshot of the shut-off domain "vm" or was refused with VIR_ERR_CONFIG_UNSUPPORTED

  @req:SNAP-011 @may @ref:libvirt.api.checkpoint
  Scenario: A checkpoint of a running domain can be created and looked up
    Given a running domain "vm" with a qcow2 disk
    When I create checkpoint "c1" of domain "vm"
    Then domain "vm" lists checkpoint "c1"
