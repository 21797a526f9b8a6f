@tuning @ref:libvirt.api.domain @ref:libvirt.formatdomain
Feature: Tuning and QoS
  Management applications pin a domain's vCPUs, emulator and I/O threads to
  host CPUs, weigh its CPU and block I/O, bound its memory and throttle its
  disks, on a running domain and in its definition. Each setting is read back
  through the API and seen in the domain's XML.

  @req:TUNE-001 @must @needs:persistent
  Scenario Outline: A running domain's <setting> is changed live and read back in the call and in its XML
    Given a running domain "vm" with a raw disk
    When I set the <setting> of domain "vm" live
    Then domain "vm" has the <setting> set, live, in the call and in its XML

    Examples:
      | setting         |
      | vCPU pinning    |
      | CPU shares      |
      | disk I/O limit  |

  @req:TUNE-002 @should @needs:persistent
  Scenario Outline: A running domain's <setting> is changed live and read back in the call and in its XML
    Given a running domain "vm" with a raw disk
    When I set the <setting> of domain "vm" live
    Then domain "vm" has the <setting> set, live, in the call and in its XML

    Examples:
      | setting           |
      | emulator pinning  |
      | block I/O weight  |
      | memory soft limit |

  @req:TUNE-003 @must @needs:persistent
  Scenario: Tuning set in a shut off domain's definition is kept in it and applied when it starts
    Given a shut off domain "vm" with a raw disk
    When I set the vCPU pinning of domain "vm" in its configuration
    And I set the CPU shares of domain "vm" in its configuration
    And I set the disk I/O limit of domain "vm" in its configuration
    Then domain "vm" has the vCPU pinning set, in its configuration, in the call and in its XML
    When I start domain "vm"
    Then domain "vm" has the vCPU pinning set, live, in the call and in its XML
    And domain "vm" has the CPU shares set, live, in the call and in its XML
    And domain "vm" has the disk I/O limit set, live, in the call and in its XML

  @req:TUNE-004 @should @needs:persistent
  Scenario: An IOThread is added to a running domain, pinned, and removed
    Given a domain "vm" that is running
    When I add IOThread 1 to domain "vm" live
    And I pin IOThread 1 of domain "vm" to the node's last CPU live
    Then domain "vm" lists IOThread 1 pinned to the node's last CPU, live, in the call and in its XML
    When I remove IOThread 1 from domain "vm" live
    Then domain "vm" lists no IOThread 1, live

  @req:TUNE-005 @should @needs:persistent
  Scenario: A running domain's CPU statistics count its CPU time
    Given a domain "vm" that is running
    Then the CPU statistics of domain "vm" count its CPU time

  @req:TUNE-006 @should
  Scenario: A running domain's NIC bandwidth is limited live and read back in the call and in its XML
    Given an active isolated network "n"
    And a running domain "vm" with a NIC on network "n"
    When I limit the inbound bandwidth of the NIC of domain "vm" to 1000 KiB/s live
    Then the NIC of domain "vm" has an inbound bandwidth of 1000 KiB/s, in the call and in its live XML

  @req:TUNE-007 @should @needs:persistent
  Scenario: The older scheduler call agrees with the CPU shares set through the current one
    Given a running domain "vm" with a raw disk
    When I set the CPU shares of domain "vm" live
    Then the older scheduler call of domain "vm" answers the CPU shares it was given
