@ovirt-engine @needs:ovirt-engine @ref:ovirt.engine @ref:ovirt.api
Feature: oVirt engine API
  The REST API of a user-supplied oVirt engine (--ovirt-url, --ovirt-user,
  --ovirt-password-file, --ovirt-ca-file or --ovirt-insecure) behaves as the
  oVirt API contract says: the SSO token flow with its mandatory scope, API
  version 4 by header and by path, XML and JSON, the root links, the fault
  document on errors, tokens revoked by logout, and collection documents valid
  against the XSD the same engine serves. The checks are derived from
  ovirt-engine 4.5 (its SSO servlets, the REST API's VersionFilter and its
  parameter validation). They read only, but for one request the engine must
  refuse (an empty VM document, which names nothing to create); the scenarios
  that change the engine need --ovirt-allow-changes, and name what they create
  with the run prefix.

  @req:OVIRT-001 @must
  Scenario: The SSO token endpoint issues a bearer token for the ovirt-app-api scope
    When I request an SSO token with scope "ovirt-app-api"
    Then the SSO answer is a bearer token whose scope includes "ovirt-app-api"
    And the API root answers 200 with that token

  @req:OVIRT-002 @must
  Scenario: A token without the ovirt-app-api scope gives no API access
    When I request an SSO token without a scope
    Then either the SSO endpoint refused it or the API root answers 401 with that token

  @req:OVIRT-003 @must
  Scenario: The API answers version 4 by the Version header and by the /v4 path
    Given an SSO token for the API
    Then GET "/ovirt-engine/api" with header "Version: 4" answers 200 with an api document
    And GET "/ovirt-engine/api/v4" answers 200 with an api document

  @req:OVIRT-004 @must
  Scenario: The API refuses an unsupported version with 400
    Given an SSO token for the API
    Then GET "/ovirt-engine/api" with header "Version: 3" answers 400
    And GET "/ovirt-engine/api/v3" answers 400

  @req:OVIRT-005 @must
  Scenario: The API root is served as XML and as JSON
    Given an SSO token for the API
    Then the API root as application/xml is an api document naming the product
    And the API root as application/json is an object naming the product

  @req:OVIRT-006 @must
  Scenario: The API root links the main collections
    Given an SSO token for the API
    Then the API root links "vms, hosts, clusters, datacenters, storagedomains, disks, networks, templates, jobs" under "/ovirt-engine/api/"

  @req:OVIRT-007 @must
  Scenario Outline: A refused request gets a fault document with a reason and a detail (<format>)
    Given an SSO token for the API
    When I post an empty VM document asking for <format>
    Then the API answers 400 with a fault that has a reason and a detail

    Examples:
      | format           |
      | application/xml  |
      | application/json |

  @req:OVIRT-008 @must
  Scenario: A token is rejected with 401 after logout
    Given an SSO token for the API
    And the API root answers 200 with that token
    When I log out through the SSO logout service
    Then the API root answers 401 with that token

  @req:OVIRT-009 @should
  Scenario Outline: The <collection> collection validates against the engine's own XSD
    Given an SSO token for the API
    And the XSD the engine serves at "/ovirt-engine/api?schema"
    Then GET "/ovirt-engine/api/<collection>" as XML validates against that XSD

    Examples:
      | collection  |
      | vms         |
      | hosts       |
      | clusters    |
      | datacenters |
      | templates   |

  @req:OVIRT-010 @must @needs:ovirt-changes
  Scenario: A VM created from a template is listed, and gone after removal
    Given an SSO token for the API
    When I create VM "vm" from the run's template in the first cluster
    Then VM "vm" is listed with status "down"
    When I remove VM "vm"
    Then VM "vm" is no longer listed

  @req:OVIRT-011 @should @needs:ovirt-changes
  Scenario: A VM created from a template starts and stops
    Given an SSO token for the API
    And I create VM "vm" from the run's template in the first cluster
    When I start VM "vm"
    Then VM "vm" reaches status "up" within 300 seconds
    When I stop VM "vm"
    Then VM "vm" reaches status "down" within 120 seconds
