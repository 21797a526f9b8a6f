@errors @ref:libvirt.api.error
Feature: Error semantics
  A management application decides what to do from the error code, not from
  the message text: missing objects, refused connections and invalid
  transitions have to come back as typed errors with the documented codes.

  @req:ERR-001 @must @core
  Scenario Outline: Looking up a domain by a <key> that does not exist gives VIR_ERR_NO_DOMAIN
    When I try to look up a domain by <key> that does not exist
    Then the call fails with VIR_ERR_NO_DOMAIN
    And the error is typed with a code, an origin, an error level and a message

    Examples:
      | key  |
      | name |
      | UUID |
      | ID   |

  @req:ERR-002 @must @core
  Scenario: Looking up a network that does not exist gives VIR_ERR_NO_NETWORK
    When I try to look up a network that does not exist
    Then the call fails with VIR_ERR_NO_NETWORK

  @req:ERR-003 @must @core
  Scenario: Looking up a storage pool that does not exist gives VIR_ERR_NO_STORAGE_POOL
    When I try to look up a storage pool that does not exist
    Then the call fails with VIR_ERR_NO_STORAGE_POOL

  @req:ERR-004 @should @needs:secrets
  Scenario: Looking up a secret that does not exist gives VIR_ERR_NO_SECRET
    When I try to look up a secret that does not exist
    Then the call fails with VIR_ERR_NO_SECRET

  @req:ERR-005 @should @needs:nwfilter
  Scenario: Looking up a network filter that does not exist gives VIR_ERR_NO_NWFILTER
    When I try to look up a network filter that does not exist
    Then the call fails with VIR_ERR_NO_NWFILTER

  @req:ERR-006 @must @core @ref:libvirt.uri
  Scenario Outline: The invalid URI <uri> is refused with a typed error and harms nothing
    When I try to connect to "<uri>"
    Then the call is refused as an invalid URI
    And the error is typed with a code, an error level and a message
    And the run's connection still answers

    Examples:
      | uri                                     |
      | nosuchdriver:///system                  |
      | qemu+nosuchtransport://localhost/system |
      | ::::                                    |

  @req:ERR-007 @must @needs:persistent @core
  Scenario: A handle to an undefined domain answers VIR_ERR_NO_DOMAIN
    Given a domain "vm" defined from fixture "minimal"
    Then calls through a handle kept from before undefining domain "vm" fail with VIR_ERR_NO_DOMAIN

  @req:ERR-008 @should @needs:persistent
  Scenario Outline: Trying to <action> a domain that is <state> is reported as VIR_ERR_OPERATION_INVALID
    Given a domain "vm" that is <state>
    When I try to <action> domain "vm"
    Then the call fails with VIR_ERR_OPERATION_INVALID

    Examples:
      | state    | action  |
      | running  | start   |
      | running  | resume  |
      | shut off | suspend |
      | shut off | resume  |
      | shut off | destroy |
