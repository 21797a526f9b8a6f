@kvm @ref:libvirt.hostvalidate
Feature: KVM host
  What a KVM host needs below libvirt, after virt-host-validate's checks and a
  few more: hardware virtualization, the devices QEMU opens, cgroup
  controllers, IOMMU, and a kvm domain that really runs accelerated. Checks that
  read the host run only when the stack is this machine. Levels follow
  virt-host-validate: its FAIL checks are MUST or SHOULD, its WARN checks SHOULD
  or MAY.

  @req:KVM-001 @should @needs:host
  Scenario: The host CPU reports hardware virtualization
    Then the host CPU reports hardware virtualization

  @req:KVM-002 @must @needs:host @needs:persistent
  Scenario: /dev/kvm exists and the QEMU user can open it
    Given a domain "vm" that is running
    Then the host has the device /dev/kvm
    And the QEMU of domain "vm" can open /dev/kvm

  @req:KVM-003 @should @needs:host
  Scenario: The host has /dev/vhost-net for in-kernel virtio networking
    Then the host has the device /dev/vhost-net

  @req:KVM-004 @must @needs:host
  Scenario: The host has /dev/net/tun for guest network interfaces
    Then the host has the device /dev/net/tun

  @req:KVM-005 @should @needs:host
  Scenario Outline: The host offers the cgroup controller <controller>
    Then the host offers the cgroup controller "<controller>"

    Examples:
      | controller |
      | cpu        |
      | cpuacct    |
      | cpuset     |
      | memory     |
      | devices    |
      | blkio      |

  @req:KVM-006 @may @needs:host
  Scenario: The host has an IOMMU for device assignment
    Then the host has IOMMU groups for device assignment

  @req:KVM-007 @must @needs:kvm @needs:domcaps @ref:libvirt.formatdomaincaps
  Scenario: Domain capabilities for kvm offer host-model and host-passthrough CPUs
    Then the domain capabilities for type kvm offer the CPU modes "host-model, host-passthrough"

  @req:KVM-008 @should @needs:kvm @needs:domcaps @ref:libvirt.formatdomaincaps
  Scenario: Every machine type claimed for kvm is usable
    Then every machine type the capabilities claim for kvm is accepted by the kvm domain capabilities

  @req:KVM-009 @must @needs:kvm @ref:libvirt.api.qemu
  Scenario: A kvm domain runs with KVM acceleration
    Given a running kvm domain "vm"
    Then domain "vm" is running
    And QEMU reports KVM acceleration enabled for domain "vm"

  @req:KVM-010 @must @needs:host @ref:libvirt.drvqemu
  Scenario: A QEMU stack on a host with /dev/kvm offers the kvm domain type
    Then a QEMU stack on this host offers the kvm domain type when the host has /dev/kvm
