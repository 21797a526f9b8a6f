@domain @ref:libvirt.api.domain
@needs:persistent
Feature: Domain lifecycle
  A persistent domain goes through define, start, suspend, resume, destroy and
  undefine; each transition lands in the documented state with the documented
  reason, and lookups and listings agree with it.

  @req:DOM-001 @must @core
  Scenario: A persistent domain goes through its whole lifecycle
    When I define domain "vm" from fixture "minimal"
    Then domain "vm" is shut off
    And domain "vm" is persistent
    When I start domain "vm"
    Then domain "vm" is running with reason "booted"
    When I suspend domain "vm"
    Then domain "vm" is paused with reason "user"
    When I resume domain "vm"
    Then domain "vm" is running with reason "unpaused"
    When I destroy domain "vm"
    Then domain "vm" is shut off with reason "destroyed"
    And domain "vm" is persistent
    When I note the UUID of domain "vm"
    And I undefine domain "vm"
    Then there is no domain "vm"

  @req:DOM-002 @must @core
  Scenario: A defined domain is inactive and has no ID
    Given a domain "vm" defined from fixture "minimal"
    Then domain "vm" is inactive
    And domain "vm" has no ID
    And the inactive domain list includes "vm"
    And the active domain list excludes "vm"

  @req:DOM-003 @must @core
  Scenario: A started domain is active, has a positive ID and is listed as running
    Given a domain "vm" that is running
    Then domain "vm" is active
    And domain "vm" has a positive ID
    And the running domain list includes "vm"
    And the inactive domain list excludes "vm"

  @req:DOM-004 @must @core
  Scenario: Suspend and resume keep the domain's ID
    Given a domain "vm" that is running
    When I note the ID of domain "vm"
    And I suspend domain "vm"
    Then the paused domain list includes "vm"
    And domain "vm" has the noted ID
    When I resume domain "vm"
    Then domain "vm" has the noted ID

  @req:DOM-005 @must @core
  Scenario: Destroying a persistent domain keeps its definition
    Given a domain "vm" that is running
    When I destroy domain "vm"
    Then domain "vm" is shut off with reason "destroyed"
    And domain "vm" has no ID
    And the shut off domain list includes "vm"

  @req:DOM-006 @must @core
  Scenario: A paused domain can be destroyed
    Given a domain "vm" that is paused
    When I destroy domain "vm"
    Then domain "vm" is shut off with reason "destroyed"

  @req:DOM-007 @must @core
  Scenario: A transient domain runs and disappears on destroy
    When I create transient domain "tmp" from fixture "minimal"
    Then domain "tmp" is running with reason "booted"
    And domain "tmp" is transient
    And the transient domain list includes "tmp"
    And the persistent domain list excludes "tmp"
    When I note the UUID of domain "tmp"
    And I destroy domain "tmp"
    Then there is no domain "tmp"

  @req:DOM-008 @must @core
  Scenario: Undefining a running domain makes it transient until it stops
    Given a domain "vm" that is running
    When I undefine domain "vm"
    Then domain "vm" is running
    And domain "vm" is transient
    When I destroy domain "vm"
    Then there is no domain "vm"

  @req:DOM-009 @must @core
  Scenario: Autostart can be set and cleared
    Given a domain "vm" defined from fixture "minimal"
    Then domain "vm" has autostart off
    When I set autostart on for domain "vm"
    Then domain "vm" has autostart on
    And the autostart domain list includes "vm"
    When I set autostart off for domain "vm"
    Then domain "vm" has autostart off
    And the autostart domain list excludes "vm"

  @req:DOM-010 @must @core
  Scenario: Lookups by name, UUID and ID agree
    Given a domain "vm" that is running
    Then looking up domain "vm" by name, UUID and ID gives the same domain

  @req:DOM-011 @must @core
  Scenario: A second domain with the same name and another UUID is refused
    Given a domain "vm" defined from fixture "minimal"
    When I note the UUID of domain "vm"
    And I try to define domain "vm" again with a different UUID
    Then the call is refused as a duplicate
    And domain "vm" has the noted UUID

  @req:DOM-012 @should
  Scenario: A duplicate name is refused as an operation failure
    Given a domain "vm" defined from fixture "minimal"
    When I try to define domain "vm" again with a different UUID
    Then the call fails with VIR_ERR_OPERATION_FAILED

  @req:DOM-013 @must @core
  Scenario: A domain defined without a UUID gets a stable generated one
    When I define domain "vm" from fixture "minimal" without a UUID
    Then domain "vm" has a valid generated UUID
    When I note the UUID of domain "vm"
    And I start domain "vm"
    Then domain "vm" has the noted UUID

  @req:DOM-014 @must @core
  Scenario Outline: Trying to <action> a domain that is <state> is refused and changes nothing
    Given a domain "vm" that is <state>
    When I try to <action> domain "vm"
    Then the call is refused as an invalid state
    And domain "vm" is <state>

    Examples:
      | state    | action  |
      | running  | start   |
      | running  | resume  |
      | shut off | suspend |
      | shut off | resume  |
      | shut off | destroy |

  @req:DOM-015 @must @core
  Scenario: Domain info reports the defined sizes
    Given a domain "vm" defined from fixture "minimal"
    Then the info of domain "vm" reports 64 MiB of maximum memory, 64 MiB of memory and 1 vCPU

  @req:DOM-016 @should
  Scenario: Memory of an inactive domain can be lowered in its configuration
    Given a domain "vm" defined from fixture "minimal"
    When I set the memory of domain "vm" to 48 MiB in its configuration
    Then the info of domain "vm" reports 64 MiB of maximum memory, 48 MiB of memory and 1 vCPU

  @req:DOM-017 @may
  Scenario: An inactive domain can be renamed
    Given a domain "old" defined from fixture "minimal"
    When I rename domain "old" to "new"
    Then there is no domain "old"
    And domain "new" is shut off

  @req:DOM-018 @must @needs:persistent
  Scenario: A running domain answers its OS type, maximum memory, vCPU maximum and UUID
    Given a domain "vm" that is running
    Then domain "vm" answers the OS type "hvm", 64 MiB of maximum memory, at least 1 vCPU and its UUID as bytes

  @req:DOM-019 @should @needs:persistent
  Scenario: A running domain's control interface is ready
    Given a domain "vm" that is running
    Then the control interface of domain "vm" is ready

  @req:DOM-020 @should @needs:persistent
  Scenario: A running domain's security labels are the ones its live XML names
    Given a domain "vm" that is running
    Then the security labels of domain "vm" are the ones its live XML names

  @req:DOM-021 @should @needs:persistent
  Scenario: A running domain's lifecycle actions are changed live
    Given a domain "vm" that is running
    When I set the action on reboot of domain "vm" to destroy live
    And I set the action on crash of domain "vm" to preserve live
    Then the live XML of domain "vm" reboots to destroy
    And the live XML of domain "vm" crashes to preserve

  @req:DOM-022 @should @needs:persistent @needs:host
  Scenario Outline: A memory dump of a running domain with <call> is an ELF file holding its memory
    Given a domain "vm" that is running
    When I dump the memory of domain "vm" to a file with <call>
    Then the dump of domain "vm" is an ELF file of at least 64 MiB
    And domain "vm" is running

    Examples:
      | call                        |
      | virDomainCoreDump           |
      | virDomainCoreDumpWithFormat |

  @req:DOM-023 @must @needs:persistent @ref:libvirt.statecapture
  Scenario: A domain with snapshots is undefined only with the flag that removes their metadata
    Given a shut off domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I try to undefine domain "vm" without removing its metadata
    Then the call fails with VIR_ERR_OPERATION_INVALID
    And domain "vm" is shut off
    When I undefine domain "vm" with its snapshots', checkpoints' and managed save's metadata
    Then there is no domain "vm"

  @req:DOM-024 @should @needs:persistent
  Scenario: A graceful destroy stops a running domain
    Given a domain "vm" that is running
    When I destroy domain "vm" gracefully
    Then domain "vm" is shut off with reason "destroyed"
