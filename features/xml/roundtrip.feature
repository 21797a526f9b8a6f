@xml @ref:libvirt.formatdomain
@needs:persistent
Feature: Domain XML round trip
  What a user writes into a domain definition comes back when they read it:
  the stack may add defaults, never change or drop what was set. Malformed
  XML is refused as an XML error and defines nothing.

  @req:XML-001 @must @core
  Scenario Outline: The inactive XML keeps every field the user set in fixture <fixture>
    Given a domain "vm" defined from fixture "<fixture>"
    Then the inactive XML of domain "vm" keeps every field the fixture set

    Examples:
      | fixture   |
      | minimal   |
      | described |

  @req:XML-002 @must @core
  Scenario: The UUID stays the same across a redefine
    Given a domain "vm" defined from fixture "described"
    When I note the UUID of domain "vm"
    And I redefine domain "vm" with the title "second edition"
    Then domain "vm" has the noted UUID
    And domain "vm" has the title "second edition"
    And the inactive XML of domain "vm" keeps every field the fixture set except the title

  @req:XML-003 @should
  Scenario: Redefining a domain from its own XML changes nothing
    Given a domain "vm" defined from fixture "described"
    Then redefining domain "vm" from its own inactive XML changes nothing

  @req:XML-004 @must @core
  Scenario: The live XML carries the domain's ID and the inactive XML none
    Given a domain "vm" that is running
    Then the live XML of domain "vm" carries its ID
    And the inactive XML of domain "vm" carries no ID

  @req:XML-005 @must @core
  Scenario Outline: Malformed domain XML (<what>) is refused as an XML error and defines nothing
    When I try to define a domain from this XML:
      """
      <xml>
      """
    Then the call fails with VIR_ERR_XML_ERROR or VIR_ERR_XML_DETAIL
    And there is no domain "bad"

    Examples:
      | what              | xml                                                                                      |
      | not XML           | this is not XML                                                                          |
      | truncated         | <domain type='{type}'><name>{name}</name><memory unit='MiB'>64</memory><os><type>hvm</os |
      | wrong root        | <network><name>{name}</name></network>                                                   |
      | memory not number | <domain type='{type}'><name>{name}</name><memory>lots</memory><os><type>hvm</type></os></domain> |
      | no OS type        | <domain type='{type}'><name>{name}</name><memory unit='MiB'>64</memory></domain>         |

  @req:XML-006 @must @core
  Scenario: A domain XML without a name is refused
    When I try to define a domain from this XML:
      """
      <domain type='{type}'><memory unit='MiB'>64</memory><os><type arch='{arch}'>hvm</type></os></domain>
      """
    Then the call is refused as invalid XML

  @req:XML-007 @should
  Scenario: A domain XML without a name is refused as VIR_ERR_NO_NAME
    When I try to define a domain from this XML:
      """
      <domain type='{type}'><memory unit='MiB'>64</memory><os><type arch='{arch}'>hvm</type></os></domain>
      """
    Then the call fails with VIR_ERR_NO_NAME

  @req:XML-008 @must @core
  Scenario: A domain XML with an unknown domain type is refused
    When I try to define a domain from this XML:
      """
      <domain type='nosuchhypervisor'><name>{name}</name><memory unit='MiB'>64</memory><os><type arch='{arch}'>hvm</type></os></domain>
      """
    Then the call is refused as invalid XML
    And there is no domain "bad"

  @req:XML-009 @must @core
  Scenario: Titles and descriptions keep special characters
    Given a domain "vm" defined from fixture "minimal"
    When I set the title of domain "vm" to "Ünïcödé & <tags> 'quoted'" through the metadata API
    And I set the description of domain "vm" to "line one & <two>" through the metadata API
    Then domain "vm" has the title "Ünïcödé & <tags> 'quoted'"
    And domain "vm" has the description "line one & <two>"

  @req:XML-010 @should
  Scenario: Application metadata in its own namespace round-trips
    Given a domain "vm" defined from fixture "minimal"
    When I set metadata "<owner>ovacts</owner>" under key "ovacts" in namespace "https://ovacts.dev/ns/conformance/1" on domain "vm"
    Then domain "vm" returns metadata "<owner>ovacts</owner>" for namespace "https://ovacts.dev/ns/conformance/1"
