@secret @needs:secrets @ref:libvirt.api.secret @ref:libvirt.formatsecret
Feature: Secrets
  Secrets hold credentials for storage and devices. Their values go in and come
  back out through the API, except for private secrets, whose values never come
  back. (ovacts never prints a secret value; it compares digests.)

  @req:SEC-001 @should
  Scenario: A secret is defined and found by usage and UUID
    When I define a public secret "s"
    Then looking up secret "s" by usage and UUID gives the same secret

  @req:SEC-002 @should
  Scenario: A secret's value reads back as it was set
    Given I define a public secret "s"
    When I set the value of secret "s" to a random value
    Then reading secret "s" gives back the value that was set

  @req:SEC-003 @should
  Scenario: A private secret's value cannot be read through the API
    Given I define a private secret "s"
    When I set the value of secret "s" to a random value
    And I try to read the value of secret "s"
    Then the call is refused as denied

  @req:SEC-004 @should
  Scenario: An undefined secret is gone
    Given I define a public secret "s"
    When I undefine secret "s"
    Then there is no secret "s"

  @req:SEC-005 @should
  Scenario: Two secrets cannot share a usage
    Given I define a public secret "s"
    When I try to define another secret with the usage of "s"
    Then the call is refused as a duplicate

  @req:SEC-006 @should
  Scenario: Secret events report definition, value changes and removal
    When I watch secret events
    And I define a public secret "s"
    And I set the value of secret "s" to a random value
    And I undefine secret "s"
    Then the secret events of "s" include, in order, "defined, value changed, undefined" within 5 seconds

  @req:SEC-007 @should
  Scenario: A secret answers the usage it was defined with and its UUID
    When I define a public secret "s"
    Then secret "s" answers its usage type, its usage ID and its UUID as bytes
