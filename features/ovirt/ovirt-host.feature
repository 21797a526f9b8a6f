@ovirt-host @ref:ovirt.vdsm @ref:ovirt.engine
Feature: oVirt host readiness
  What an oVirt engine demands of a KVM host before it makes the host operational,
  derived from the VDSM v4.50.7 and ovirt-engine 4.5.7 sources. A readiness check
  of the stack under libvirt, not an oVirt certification: the engine and VDSM are
  not part of the run. Select it with --profile ovirt-host.

  @req:OVH-001 @must
  Scenario: KVM is present and runs domains
    Then the stack runs KVM domains, or the engine would mark the host KVM_NOT_RUNNING

  @req:OVH-002 @must @needs:domcaps
  Scenario: The host's versions allow cluster level 4.7
    Then the host's libvirt and QEMU allow cluster level "4.7"

  @req:OVH-003 @may @needs:domcaps
  Scenario: The host's versions allow cluster level 4.8
    Then the host's libvirt and QEMU allow cluster level "4.8"

  @req:OVH-004 @must @needs:domcaps
  Scenario: The host offers an emulated machine of the engine's list for cluster level 4.7
    Then the host offers a kvm machine type of the engine's list for cluster level "4.7"

  @req:OVH-005 @must @needs:nwfilter
  Scenario: The network filters VDSM builds on are defined
    Then the network filters "no-mac-spoofing, no-arp-mac-spoofing" are defined

  @req:OVH-006 @should @needs:host
  Scenario: A libvirt lock manager plugin is installed
    Then a libvirt lock manager plugin is installed

  @req:OVH-007 @should @needs:guest @shared:guest
  Scenario: The guest agent answers through libvirt's guest-info
    Given a running guest "g"
    Then the guest info of "g" reports its operating system and hostname
