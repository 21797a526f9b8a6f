@events @needs:persistent @ref:libvirt.api.event
Feature: Domain events
  A management application follows a stack through events instead of polling:
  lifecycle and device events have to arrive, in order, within a bounded time,
  and stop arriving once the callback is deregistered. A driver may send more
  events than a scenario names; the ones named must come in that order.

  @req:EVT-001 @should
  Scenario: Lifecycle events follow a persistent domain through its lifecycle
    When I watch domain events
    And I define domain "vm" from fixture "minimal"
    And I start domain "vm"
    And I suspend domain "vm"
    And I resume domain "vm"
    And I destroy domain "vm"
    And I undefine domain "vm"
    Then the domain events of "vm" include, in order, "defined, started, suspended, resumed, stopped (destroyed), undefined" within 5 seconds

  @req:EVT-002 @should
  Scenario: A transient domain reports its start and its end
    When I watch domain events
    And I create transient domain "tmp" from fixture "minimal"
    And I destroy domain "tmp"
    Then the domain events of "tmp" include, in order, "started, stopped (destroyed)" within 5 seconds

  @req:EVT-003 @should
  Scenario: Hotplug reports device added and device removed
    Given a running domain "vm" with hotplug controllers
    When I watch device events
    And I attach the SCSI disk to domain "vm" live
    And I detach the SCSI disk from domain "vm" live
    Then the device events of "vm" include, in order, "added, removed" within 10 seconds

  @req:EVT-004 @should
  Scenario: A deregistered callback stops firing
    Given a domain "vm" defined from fixture "minimal"
    When I register a lifecycle callback for domain "vm"
    And I start domain "vm"
    Then the callback events of "vm" include, in order, "started" within 5 seconds
    When I deregister the lifecycle callback for domain "vm"
    And I destroy domain "vm"
    Then no callback event of "vm" arrives within 1 second

  @req:EVT-005 @should
  Scenario: Saving a domain is reported as a stop for a save
    Given a domain "vm" that is running
    When I watch domain events
    And I managed-save domain "vm"
    Then the domain events of "vm" include, in order, "stopped (saved)" within 5 seconds
