@jobs @ref:libvirt.api.domain @ref:libvirt.migration
Feature: Domain jobs and migration tuning
  Management applications tune a running domain's migration before they start
  it (bandwidth, acceptable downtime, the compression cache), measure how fast
  its memory changes to plan the migration, and poll the statistics of every
  running domain at once. Each setting is read back through the API.

  @req:JOB-001 @must @needs:persistent
  Scenario: A running domain's maximum migration speed is set and read back
    Given a domain "vm" that is running
    When I set the maximum migration speed of domain "vm" to 64 MiB/s
    Then domain "vm" has a maximum migration speed of 64 MiB/s

  @req:JOB-002 @should @needs:persistent
  Scenario: A running domain's maximum migration downtime is set and read back
    Given a domain "vm" that is running
    When I set the maximum migration downtime of domain "vm" to 750 ms
    Then domain "vm" has a maximum migration downtime of 750 ms

  @req:JOB-003 @should @needs:persistent
  Scenario: A running domain's migration compression cache is set and read back
    Given a domain "vm" that is running
    When I set the migration compression cache of domain "vm" to 32 MiB
    Then domain "vm" has a migration compression cache of 32 MiB

  @req:JOB-004 @should @needs:persistent
  Scenario: A dirty page rate calculation on a running domain reports its rate in the domain's statistics
    Given a domain "vm" that is running
    When I start a 1 second dirty page rate calculation on domain "vm"
    Then the statistics of domain "vm" report a measured dirty page rate over 1 second within 10 seconds

  @req:JOB-005 @must @needs:persistent
  Scenario: The statistics of all running domains list a running domain with its vCPUs and disks
    Given a running domain "vm" with a raw disk
    Then the statistics of all running domains list domain "vm" running, with 1 vCPU and its disk vda
