@host @ref:libvirt.api.host @ref:libvirt.formatcaps
Feature: Host CPU and node facts
  A management application places guests by the host's CPU models, checks a
  CPU definition against the hypervisor before it starts a domain, and reads
  the node's CPUs, free pages and security model. A monitoring agent reads
  the stack over a read-only connection, which must never change it.

  @req:HOST-001 @must @core
  Scenario: The CPU models of the host's architecture are listed, the host CPU's among them
    Then the CPU models of the host's architecture are listed, the host CPU's among them

  @req:HOST-002 @must @core @needs:domcaps
  Scenario: The baseline of the host-model CPU compares as runnable on the hypervisor
    Then the baseline of the host-model CPU compares as runnable on the hypervisor

  @req:HOST-003 @should @needs:domcaps
  Scenario: A CPU model the domain capabilities mark unusable compares as incompatible
    Then a CPU model the domain capabilities mark unusable compares as incompatible

  @req:HOST-004 @should
  Scenario: The baseline of the host CPU compares as runnable on the host
    Then the baseline of the host CPU compares as runnable on the host

  @req:HOST-005 @should
  Scenario: The node CPU map counts the node's CPUs, with at least one online
    Then the node CPU map counts the node's CPUs, with at least one online

  @req:HOST-006 @may
  Scenario: The free pages of each page size of NUMA cell 0 are no more than the cell has
    Then the free pages of each page size of NUMA cell 0 are no more than the cell has

  @req:HOST-007 @should
  Scenario: The node's security model is the first one the capabilities name
    Then the node's security model is the first one the capabilities name

  @req:HOST-008 @must @core
  Scenario: A read-only connection reads the stack and refuses to change it
    Given a domain "vm" that is shut off
    Then a read-only connection lists domain "vm"
    When I try to define domain "ro" over a read-only connection
    Then the call fails with VIR_ERR_OPERATION_DENIED
    And there is no domain "ro"

  @req:HOST-009 @should @needs:host
  Scenario: The node's memory parameters answer the kernel's same-page merging
    Then the node's memory parameters answer the pages the kernel's same-page merging scans
