@listing @ref:libvirt.api.domain @ref:libvirt.api.host
Feature: Legacy listings
  Older management tools and scripts count and list objects with the calls
  that came before the list-all ones (virConnectNumOfDomains,
  virConnectListDefinedNetworks, virStoragePoolListVolumes...). They must
  agree with the list-all calls, the active and the inactive apart. Other
  scenarios may run at the same time, so a listing is compared with a list-all
  snapshot taken around it until the two agree, for at most a few tries.

  @req:LIST-001 @must @needs:persistent
  Scenario: The legacy domain counts and listings agree with the list of all domains
    Given a domain "vm" that is running
    And a domain "off" that is shut off
    Then the legacy domain listings agree with the list of all, with "vm" active and "off" inactive

  @req:LIST-002 @should
  Scenario: The legacy network counts and listings agree with the list of all networks
    Given an active isolated network "on"
    And I define an isolated network "off"
    Then the legacy network listings agree with the list of all, with "on" active and "off" inactive

  @req:LIST-003 @should
  Scenario: The legacy storage pool and volume listings agree with the lists of all
    Given a storage pool "on"
    And I create a raw volume "v" of 1 MiB in pool "on"
    And I define storage pool "off"
    Then the legacy storage pool listings agree with the list of all, with "on" active and "off" inactive
    And the legacy volume listing of pool "on" agrees with its list of all volumes, with "v" in it

  @req:LIST-004 @should @needs:secrets
  Scenario: The legacy secret count and listing agree with the list of all secrets
    Given I define a public secret "s"
    Then the legacy secret listing agrees with the list of all, with "s" in it

  @req:LIST-005 @should @needs:nwfilter
  Scenario: The legacy network filter count and listing agree with the list of all filters
    Given I define network filter "f"
    Then the legacy network filter listing agrees with the list of all, with "f" in it

  @req:LIST-006 @should
  Scenario: The legacy node device count and listing agree with the list of all devices
    Then the legacy node device listing agrees with the list of all, and each device's name and capabilities match its XML and its parent is a device

  @req:LIST-007 @should
  Scenario: The legacy host interface counts and listings agree with the list of all interfaces
    Then the legacy host interface listings agree with the list of all, and an interface is found again by its name and by its MAC

  @req:LIST-008 @should @needs:persistent
  Scenario: The legacy snapshot count and listings of a domain agree with its list of all snapshots
    Given a running domain "vm" with a qcow2 disk
    When I take an internal snapshot "s1" of domain "vm"
    And I take an internal snapshot "s2" of domain "vm"
    Then the legacy snapshot listings of domain "vm" agree with its list of all, "s2" the current snapshot and the only child of "s1"
