@network @ref:libvirt.api.network @ref:libvirt.formatnetwork
Feature: Virtual networks
  Isolated and NAT networks: their lifecycle, the bridge they bring up on the
  host, live updates of their DHCP hosts, events and ports.

  @req:NET-001 @must @core
  Scenario: An isolated network goes through its whole lifecycle
    When I define an isolated network "n"
    Then network "n" is inactive
    And network "n" is persistent
    When I start network "n"
    Then network "n" is active
    When I destroy network "n"
    Then network "n" is inactive
    When I undefine network "n"
    Then there is no network "n"

  @req:NET-002 @must @needs:host
  Scenario: A network's bridge exists on the host exactly while the network is active
    Given I define an isolated network "n"
    When I start network "n"
    Then the bridge of network "n" exists on the host
    When I destroy network "n"
    Then the bridge of network "n" does not exist on the host

  @req:NET-003 @should
  Scenario: A NAT network starts and forwards with NAT
    Given I define a NAT network "n"
    When I start network "n"
    Then network "n" is active
    And the XML of network "n" forwards in mode "nat"
    And the host masquerades the traffic leaving network "n"

  @req:NET-004 @must @core
  Scenario: A transient network disappears when it stops
    When I create transient isolated network "n"
    Then network "n" is active
    And network "n" is transient
    When I destroy network "n"
    Then there is no network "n"

  @req:NET-005 @must @core
  Scenario: Network autostart can be set and cleared
    Given I define an isolated network "n"
    When I set autostart on for network "n"
    Then network "n" has autostart on
    When I set autostart off for network "n"
    Then network "n" has autostart off

  @req:NET-006 @must @core
  Scenario: Network lookups by name and UUID agree
    Given I define an isolated network "n"
    Then looking up network "n" by name and UUID gives the same network

  @req:NET-007 @must @core
  Scenario: A second network with the same name and another UUID is refused
    Given I define an isolated network "n"
    When I try to define an isolated network "n" again with a different UUID
    Then the call is refused as a duplicate
    And network "n" keeps its own UUID

  @req:NET-008 @must @core
  Scenario: The network XML keeps the addresses and DHCP range that were set
    Given I define a NAT network "n"
    Then the XML of network "n" keeps every field that was set

  @req:NET-009 @should
  Scenario: A DHCP host entry can be added live and in the configuration
    Given an active isolated network "n"
    When I add a DHCP host entry for MAC "52:54:00:0a:c7:10" to network "n" live and in its configuration
    Then the live XML of network "n" has a DHCP host entry for MAC "52:54:00:0a:c7:10"
    And the persistent XML of network "n" has a DHCP host entry for MAC "52:54:00:0a:c7:10"

  @req:NET-010 @should @needs:guest
  Scenario: An active network answers DHCP lease queries
    Given an active NAT network "n"
    And a running guest "g" and a NIC on network "n"
    Then network "n" answers a DHCP lease query with the lease of guest "g" within 30 seconds

  @req:NET-011 @should
  Scenario: Network lifecycle events arrive in order
    When I watch network events
    And I define an isolated network "n"
    And I start network "n"
    And I destroy network "n"
    And I undefine network "n"
    Then the network events of "n" include, in order, "defined, started, stopped, undefined" within 5 seconds

  @req:NET-012 @may
  Scenario: Network ports can be created, listed and deleted
    Given an active isolated network "n"
    Then a port created on network "n" is listed until it is deleted

  @req:NET-013 @should
  Scenario: A network port keeps the inbound bandwidth it is given
    Given an active isolated network "n"
    Then a port created on network "n" keeps the inbound bandwidth it is given, read back as set

  @req:NET-014 @should
  Scenario: A network port is found by its UUID on its network
    Given an active isolated network "n"
    Then a port created on network "n" is found by its UUID, on that network, with its UUID as bytes

  @req:NET-015 @must @ref:libvirt.schemas
  Scenario: A network definition asked to be validated is refused when the schema does not allow it
    When I try to define an isolated network "bad" with an element the schema does not know, asking libvirt to validate it
    Then the call fails with VIR_ERR_XML_INVALID_SCHEMA
    And there is no network "bad"
    When I define isolated network "good", asking libvirt to validate it
    Then network "good" is persistent
    When I create transient isolated network "tmp", asking libvirt to validate it
    Then network "tmp" is active
