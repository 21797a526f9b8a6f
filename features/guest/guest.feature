@guest @needs:guest @ref:libvirt.api.domain @ref:qemu.ga
Feature: A guest operating system on the stack
  What a stack only shows with an operating system running in the guest: ACPI
  power events, the guest agent, DHCP on a virtual network, hotplugged devices
  seen by the guest, memory kept across save and snapshot, and the console. Each
  scenario that changes its guest gets its own: restored from the run's guest
  image (the guest booted once and saved with its memory) on a stack on this
  host, booted when it tests the boot itself or what the guest has from its boot, as
  its clock (@boots), or needs devices the saved guest lacks; those that only read the agent's answers (@shared:guest) share
  one guest. The
  guest is the suite's tiny guest (fixtures/guest), or the vendor's through
  --guest-kernel or --guest-disk. The probe decided before the
  run which accelerator boots it (KVM, else TCG), and the report says which.

  @req:GUEST-001 @must
  Scenario: A guest boots to its ready marker on the console
    When I start guest "g" with its console open
    Then the console of guest "g" shows its boot marker within the boot limit
    And the guest agent of "g" answers again within the boot limit

  @req:GUEST-002 @should
  Scenario: The agent lifecycle event announces the guest agent
    When I start guest "g" with its console open
    Then an agent lifecycle event "connected" of guest "g" arrives within the boot limit
    And the guest agent of "g" answers a ping

  @req:GUEST-003 @must
  Scenario: An ACPI shutdown request stops the guest
    Given a running guest "g"
    When I shut down guest "g" through ACPI
    Then guest "g" stops with reason "shutdown" within 30 seconds
    And domain "g" is shut off with reason "shutdown"

  @req:GUEST-004 @should @boots
  Scenario: An ACPI reboot request boots the guest again
    Given a running guest "g"
    When I reboot guest "g" through ACPI
    Then a reboot event of guest "g" arrives within 30 seconds
    And guest "g" has booted again within the boot limit
    And domain "g" is running

  @req:GUEST-005 @should @boots
  Scenario: A reset boots the guest again at once
    Given a running guest "g"
    When I reset guest "g"
    Then guest "g" has booted again within the boot limit
    And domain "g" is running

  @req:GUEST-006 @must @shared:guest
  Scenario: The guest agent answers and describes the guest
    Given a running guest "g"
    Then the guest agent of "g" answers a ping
    And the guest info of "g" reports its operating system and hostname

  @req:GUEST-007 @should @boots
  Scenario: The guest clock can be read and set through the agent
    Given a running guest "g"
    Then the clock of guest "g" is 0 seconds ahead of the host, give or take 5 seconds
    When I set the clock of guest "g" 3600 seconds ahead of the host
    Then the clock of guest "g" is 3600 seconds ahead of the host, give or take 5 seconds
    When I set the clock of guest "g" 0 seconds ahead of the host
    Then the clock of guest "g" is 0 seconds ahead of the host, give or take 5 seconds

  @req:GUEST-008 @should @shared:guest
  Scenario: The guest agent lists the guest's network interfaces
    Given a running guest "g"
    Then the agent of guest "g" lists interface "lo" with address "127.0.0.1"

  @req:GUEST-009 @may
  Scenario: Guest filesystems freeze and thaw through the agent
    Given a running guest "g" with a data disk
    And guest "g" formats and mounts its data disk
    When I freeze the filesystems of guest "g"
    Then the agent of guest "g" reports its filesystems frozen
    When I thaw the filesystems of guest "g"
    Then the agent of guest "g" reports its filesystems thawed

  @req:GUEST-010 @should
  Scenario: A shutdown through the guest agent stops the guest
    Given a running guest "g"
    When I shut down guest "g" through the guest agent
    Then guest "g" stops with reason "shutdown" within 30 seconds
    And domain "g" is shut off with reason "shutdown"

  @req:GUEST-011 @should
  Scenario: A guest on a NAT network gets a DHCP lease that the agent confirms
    Given an active NAT network "lan"
    And a running guest "g" and a NIC on network "lan"
    Then guest "g" has an IPv4 lease on network "lan" within 30 seconds
    And the agent of guest "g" reports the leased address on the same MAC

  @req:GUEST-012 @should
  Scenario: A hotplugged disk is seen by the guest and gone after unplugging
    Given a running guest "g"
    When I hotplug a 16 MiB disk into guest "g"
    Then guest "g" sees the disk within 10 seconds
    When I unplug the disk from guest "g"
    Then guest "g" no longer sees the disk within 10 seconds

  @req:GUEST-013 @should
  Scenario: A hotplugged NIC is seen by the guest and gone after unplugging
    Given an active isolated network "lan"
    And a running guest "g"
    When I hotplug a NIC on network "lan" into guest "g"
    Then guest "g" sees the NIC within 10 seconds
    When I unplug the NIC from guest "g"
    Then guest "g" no longer sees the NIC within 10 seconds

  @req:GUEST-014 @should @needs:persistent
  Scenario: Save and restore keep the guest's memory
    Given a running guest "g"
    And guest "g" writes marker "before-save" in memory
    When I save domain "g" to a file
    And I restore domain "g" from its file
    Then domain "g" is running
    And guest "g" holds marker "before-save" in memory

  @req:GUEST-015 @should @needs:persistent
  Scenario: A managed save keeps the guest's memory until the next start
    Given a running guest "g"
    And guest "g" writes marker "before-managed-save" in memory
    When I managed-save domain "g"
    And I start domain "g"
    Then domain "g" is running with reason "restored"
    And guest "g" holds marker "before-managed-save" in memory

  @req:GUEST-016 @should @needs:persistent
  Scenario: Reverting to an internal snapshot brings back the guest's memory
    Given a running guest "g" with a data disk
    And guest "g" writes marker "at-snapshot" in memory
    When I take an internal snapshot "s1" of domain "g"
    And guest "g" writes marker "after-snapshot" in memory
    And I revert domain "g" to snapshot "s1"
    Then domain "g" is running
    And guest "g" holds marker "at-snapshot" in memory

  @req:GUEST-017 @should
  Scenario: The console stream carries the guest's serial output
    Given a running guest "g"
    When I open the console of guest "g"
    And guest "g" writes "ovacts-console-check" to its serial port
    Then the console of guest "g" shows "ovacts-console-check" within 10 seconds

  @req:GUEST-018 @should @needs:kvm
  Scenario: The guest OS boots with the KVM the stack offers
    Then the probe booted the guest OS with KVM

  @req:GUEST-019 @must
  Scenario: A vCPU plugged into a running guest is seen by its kernel and brought online through its agent
    Given a running guest "g" that may have 2 vCPUs, 1 of them plugged
    When I plug vCPUs into guest "g" live until it has 2
    Then guest "g" sees 2 vCPUs present within 30 seconds
    When I bring every vCPU of guest "g" online through its agent
    Then the agent of guest "g" reports 2 vCPUs online, and the guest counts as many online

  @req:GUEST-020 @should
  Scenario: A running guest's balloon takes the memory it is told to, and the guest sees it gone
    Given a running guest "g"
    When I set the memory of guest "g" to 192 MiB live
    Then the balloon of guest "g" reports 192 MiB within 60 seconds
    And guest "g" sees its memory shrink by at least 48 MiB within 60 seconds
