@nwfilter @needs:nwfilter @ref:libvirt.api.nwfilter @ref:libvirt.formatnwfilter
Feature: Network filters
  Filters are defined, looked up and removed like any object; they can build on
  libvirt's stock filters; and libvirt binds them to the NICs of running domains.

  @req:FLT-001 @should
  Scenario: A network filter is defined, looked up and undefined
    When I define network filter "f"
    Then looking up network filter "f" by name and UUID gives the same filter
    And the XML of network filter "f" keeps its accept rule
    When I undefine network filter "f"
    Then there is no network filter "f"

  @req:FLT-002 @should
  Scenario: A filter can build on the stock clean-traffic filter
    When I define network filter "f" referencing "clean-traffic"
    Then the XML of network filter "f" keeps its accept rule and its reference to "clean-traffic"

  @req:FLT-003 @should
  Scenario: A running domain's filtered NIC gets a binding that goes with the domain
    Given I define network filter "f"
    And an active isolated network "n"
    And a running domain "vm" with a NIC on network "n" filtered by "f"
    Then the NIC of domain "vm" has a filter binding to "f"
    When I destroy domain "vm"
    Then the filter binding of domain "vm" is gone

  @req:FLT-004 @should
  Scenario: A filter in use by a running domain cannot be undefined
    Given I define network filter "f"
    And an active isolated network "n"
    And a running domain "vm" with a NIC on network "n" filtered by "f"
    When I try to undefine network filter "f"
    Then the call is refused as in use
    And network filter "f" still exists

  @req:FLT-005 @should
  Scenario: A domain whose NIC references a missing filter does not start
    Given an active isolated network "n"
    And a shut off domain "vm" with a NIC on network "n" filtered by "missing"
    When I try to start domain "vm"
    Then the call is refused as a missing object
    And domain "vm" is shut off

  @req:FLT-006 @should
  Scenario: The list of all filter bindings holds a filtered NIC's binding
    Given I define network filter "f"
    And an active isolated network "n"
    And a running domain "vm" with a NIC on network "n" filtered by "f"
    Then the list of all filter bindings holds the binding of domain "vm"'s NIC, naming filter "f" and its host device

  @req:FLT-007 @should @ref:libvirt.schemas
  Scenario: A filter definition asked to be validated is refused when the schema does not allow it
    When I try to define network filter "bad" with an element the schema does not know, asking libvirt to validate it
    Then the call fails with VIR_ERR_XML_INVALID_SCHEMA
    And no network filter "bad" was defined
