@migration @needs:peer @needs:persistent @ref:libvirt.migration
Feature: Migration to a second stack
  A domain moves from the stack under test to the peer stack (--peer-uri): live
  under the client's control or peer-to-peer, offline, with its disk copied, over
  a chosen data connection. It arrives with the same UUID and definition, and the
  source lets it go. Refusals come with libvirt's documented errors. The
  destination's objects are tracked and removed like the source's.

  @req:MIG-001 @must
  Scenario: A live migration moves a running domain to the peer unchanged
    Given a domain "vm" that is running
    When I migrate domain "vm" live to the peer
    Then domain "vm" is running on the peer
    And domain "vm" on the peer has the UUID and definition it had before the migration
    And domain "vm" is shut off with reason "migrated"

  @req:MIG-002 @must @ref:ovirt.vdsm.migration
  Scenario: A peer-to-peer live migration moves a running domain to the peer
    Given a domain "vm" that is running
    When I migrate domain "vm" live peer-to-peer to the peer
    Then domain "vm" is running on the peer
    And domain "vm" on the peer has the UUID and definition it had before the migration
    And domain "vm" is shut off with reason "migrated"

  @req:MIG-003 @should
  Scenario: An offline migration defines a shut-off domain on the peer
    Given a domain "vm" that is shut off
    When I migrate domain "vm" offline to the peer
    Then domain "vm" is shut off on the peer
    And domain "vm" is persistent on the peer
    And domain "vm" is shut off

  @req:MIG-004 @should
  Scenario: A live migration copies a local qcow2 disk to the peer
    Given a running domain "vm" with a qcow2 disk
    And the peer has the storage pool "store" of the stack, empty
    When I migrate domain "vm" live copying all storage to the peer
    Then domain "vm" is running on the peer
    And the peer's pool "store" holds volume "vm-disk"

  @req:MIG-005 @should
  Scenario: Migration data goes over the migration URI the client chose
    Given a domain "vm" that is running
    When I migrate domain "vm" live over a chosen migration URI to the peer
    Then domain "vm" is running on the peer

  @req:MIG-006 @should
  Scenario: A migrated domain can be made persistent on the peer and undefined here
    Given a domain "vm" that is running
    When I migrate domain "vm" live, persisting it there and undefining it here to the peer
    Then domain "vm" is running on the peer
    And domain "vm" is persistent on the peer
    And there is no domain "vm"

  @req:MIG-007 @should
  Scenario: Both ends report the migration as lifecycle events
    Given a domain "vm" that is running
    And I watch domain events on the stack and on the peer
    When I migrate domain "vm" live to the peer
    Then the domain events of "vm" include, in order, "stopped (migrated)" within 10 seconds
    And the peer domain events of "vm" include, in order, "started, resumed" within 10 seconds

  @req:MIG-008 @should @needs:guest
  Scenario: A running migration reports its job and statistics
    Given a running guest "g"
    When I start migrating domain "g" live to the peer at 1 MiB/s
    Then the migration job of domain "g" reports data processed and remaining, and its statistics
    When I let the migration of domain "g" finish at full speed
    Then domain "g" is running on the peer

  @req:MIG-009 @should @needs:guest
  Scenario: An aborted migration leaves the domain running on the stack
    Given a running guest "g"
    When I start migrating domain "g" live to the peer at 1 MiB/s
    And I abort the migration of domain "g"
    Then the call fails with VIR_ERR_OPERATION_ABORTED
    And domain "g" is running
    And the peer has no domain "g"

  @req:MIG-010 @should @needs:guest
  Scenario: The guest's memory survives a live migration
    Given a running guest "g"
    And guest "g" writes marker "before-migration" in memory
    When I migrate domain "g" live to the peer
    Then guest "g" holds marker "before-migration" in memory on the peer

  @req:MIG-012 @should
  Scenario: A live migration of a local disk without copying it is refused as unsafe
    Given a running domain "vm" with a qcow2 disk
    When I try to migrate domain "vm" live to the peer
    Then the call fails with VIR_ERR_MIGRATE_UNSAFE
    And domain "vm" is running
    And the peer has no domain "vm"

  @req:MIG-013 @should
  Scenario: A domain with snapshots is refused for migration
    Given a running domain "vm" with a qcow2 disk
    And I take an internal snapshot "s1" of domain "vm"
    And the peer has the storage pool "store" of the stack, empty
    When I try to migrate domain "vm" live copying all storage to the peer
    Then the call fails with VIR_ERR_OPERATION_INVALID
    And domain "vm" is running

  @req:MIG-014 @should
  Scenario Outline: The older migration entry point <call> moves a running domain to the peer unchanged
    Given a domain "vm" that is running
    When I migrate domain "vm" live to the peer with <call>
    Then domain "vm" is running on the peer
    And domain "vm" on the peer has the UUID and definition it had before the migration
    And domain "vm" is shut off with reason "migrated"

    Examples:
      | call                   |
      | virDomainMigrate       |
      | virDomainMigrate2      |
      | virDomainMigrateToURI  |
      | virDomainMigrateToURI2 |
