@connection @ref:libvirt.api.host @ref:libvirt.formatcaps
Feature: Connection and host
  A management application's first contact with a stack is its connection: it
  has to open, say which driver and versions it speaks for, and describe the
  host in documents that parse.

  @req:CONN-001 @must @core
  Scenario: The connection opens and is alive
    Then the connection is alive

  @req:CONN-002 @must @core
  Scenario: The connection reports a URI naming the requested driver
    Then the connection reports a URI with the requested driver

  @req:CONN-003 @must @core
  Scenario: The driver type matches the URI's driver
    Then the driver type matches the URI's driver

  @req:CONN-004 @must @core
  Scenario: The client library and the daemon report their libvirt versions
    Then the client library reports a libvirt version of at least 1.2.0
    And the daemon reports a libvirt version of at least 1.2.0

  @req:CONN-005 @should
  Scenario: The hypervisor reports its version
    Then the hypervisor reports a non-zero version

  @req:CONN-006 @must @core
  Scenario: The host name is reported
    Then the host name is a valid DNS name

  @req:CONN-007 @must @core
  Scenario: The capabilities XML parses and names the host architecture and a guest
    Then the capabilities XML parses and names the host architecture
    And the capabilities offer at least one hvm guest

  @req:CONN-008 @must @core
  Scenario: Every guest in the capabilities is complete
    Then every guest in the capabilities names an OS type, an architecture and a domain type

  @req:CONN-009 @should
  Scenario: The capabilities carry a valid host UUID
    Then the capabilities host UUID is a valid UUID

  @req:CONN-010 @must @core
  Scenario: Node info is sane
    Then the node info reports a CPU model, at least one CPU and some memory

  @req:CONN-011 @should
  Scenario: The node topology accounts for every CPU
    Then the node topology multiplies out to the CPU count

  @req:CONN-012 @should
  Scenario: Free memory never exceeds the node's memory
    Then the free memory is no more than the node memory

  @req:CONN-013 @should @needs:domcaps @ref:libvirt.formatdomaincaps
  Scenario: Domain capabilities parse and describe the probed domain type
    Then the domain capabilities parse and match the probed domain type and architecture

  @req:CONN-014 @should @needs:domcaps @ref:libvirt.formatdomaincaps
  Scenario: Domain capabilities report a vCPU limit
    Then the domain capabilities report a positive maximum vCPU count

  @req:CONN-015 @should
  Scenario: The driver reports a vCPU limit for its domain type
    Then the maximum vCPU count for the probed domain type is positive

  @req:CONN-016 @should
  Scenario: A local connection reports itself secure
    Then a connection over a local transport reports itself secure

  @req:CONN-017 @must @core
  Scenario: A second connection sees the same host and closes cleanly
    Then a second connection to the same URI sees the same host and closes with no references left

  @req:CONN-018 @must @core @needs:hvm @ref:libvirt.drvqemu
  Scenario: Every domain type offered for the host's architecture starts a domain
    Then every domain type the capabilities offer for the host architecture starts a minimal domain

  @req:CONN-019 @must @core @needs:hvm
  Scenario: The capabilities offer hvm guests of the host's own architecture
    Then the capabilities offer hvm guests of the host architecture
