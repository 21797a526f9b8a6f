@stats @ref:libvirt.api.domain @ref:libvirt.api.host
Feature: Statistics and node devices
  Monitoring reads domain and node statistics; the values have to be there
  and consistent with the domain's definition and the node's size.

  @req:STAT-001 @should @needs:persistent
  Scenario: Domain statistics report the domain's state
    Given a domain "vm" that is running
    Then the state statistics of domain "vm" say it is running

  @req:STAT-002 @should @needs:persistent
  Scenario Outline: Domain statistics include <group>
    Given an active isolated network "n"
    And a running domain "vm" with a qcow2 disk
    Then the statistics of domain "vm" include <group>

    Examples:
      | group            |
      | CPU time         |
      | the balloon size |
      | each vCPU        |
      | the disk         |

  @req:STAT-003 @should @needs:persistent
  Scenario: Network interface statistics are reported
    Given an active isolated network "n"
    And a running domain "vm" with a NIC on network "n"
    Then the statistics of domain "vm" include the NIC
    And the interface statistics of the NIC of domain "vm" answer

  @req:STAT-004 @should @needs:persistent
  Scenario: Block statistics are reported for a disk
    Given a running domain "vm" with a qcow2 disk
    Then the block statistics of disk "vda" of domain "vm" answer

  @req:STAT-005 @should @needs:persistent
  Scenario: Memory statistics are reported
    Given a domain "vm" that is running
    Then the memory statistics of domain "vm" report its current memory as the balloon's actual size

  @req:STAT-006 @must @core @needs:persistent
  Scenario: vCPU information matches the definition
    Given a domain "vm" that is running
    Then the vCPU information of domain "vm" reports 1 vCPU

  @req:STAT-007 @should @needs:persistent
  Scenario: An idle domain has no job
    Given a domain "vm" that is running
    Then the job information of domain "vm" reports no job

  @req:STAT-008 @should
  Scenario: Node CPU statistics are reported
    Then the node CPU statistics report kernel, user and idle time

  @req:STAT-009 @should
  Scenario: Node memory statistics are reported
    Then the node memory statistics report total and free memory

  @req:STAT-010 @should
  Scenario: Free memory per NUMA cell is consistent with the node
    Then the free memory of every NUMA cell is no more than the node's memory

  @req:STAT-011 @should
  Scenario: Node devices are listed and their XML parses
    Then every node device's XML parses and names its capability
