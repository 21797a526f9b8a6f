@hotplug @needs:persistent @ref:libvirt.api.domain @ref:libvirt.formatdomain
Feature: Device hotplug
  Devices attached and detached on a running domain land exactly where the
  flags say: the live definition, the persistent one, or both. The domain has no
  guest OS, so the devices sit on buses that need none to unplug (SCSI, USB).

  @req:HOT-001 @should
  Scenario: A disk attached live is in the live XML only
    Given a running domain "vm" with hotplug controllers
    When I attach the SCSI disk to domain "vm" live
    Then the live XML of domain "vm" has the SCSI disk
    And the persistent XML of domain "vm" lacks the SCSI disk

  @req:HOT-002 @should
  Scenario: A disk attached to the configuration of a running domain is in the persistent XML only
    Given a running domain "vm" with hotplug controllers
    When I attach the SCSI disk to domain "vm" in its configuration
    Then the persistent XML of domain "vm" has the SCSI disk
    And the live XML of domain "vm" lacks the SCSI disk

  @req:HOT-003 @should
  Scenario: A disk attached live and in the configuration is in both
    Given a running domain "vm" with hotplug controllers
    When I attach the SCSI disk to domain "vm" live and in its configuration
    Then the live XML of domain "vm" has the SCSI disk
    And the persistent XML of domain "vm" has the SCSI disk

  @req:HOT-004 @should
  Scenario: A disk detached live leaves the live XML
    Given a running domain "vm" with hotplug controllers
    And I attach the SCSI disk to domain "vm" live
    When I detach the SCSI disk from domain "vm" live
    Then the live XML of domain "vm" lacks the SCSI disk

  @req:HOT-005 @should
  Scenario: A NIC attached live appears and detached live disappears
    Given an active isolated network "net"
    And a running domain "vm" with hotplug controllers
    When I attach the USB NIC to domain "vm" live
    Then the live XML of domain "vm" has the USB NIC
    And the persistent XML of domain "vm" lacks the USB NIC
    When I detach the USB NIC from domain "vm" live
    Then the live XML of domain "vm" lacks the USB NIC

  @req:HOT-006 @should
  Scenario: A NIC attached to the configuration of a shut-off domain is persistent
    Given an active isolated network "net"
    And a shut off domain "vm" with hotplug controllers
    When I attach the virtio NIC to domain "vm" in its configuration
    Then the persistent XML of domain "vm" has the virtio NIC
    When I start domain "vm"
    Then the live XML of domain "vm" has the virtio NIC

  @req:HOT-007 @should
  Scenario Outline: Detaching a <device> the domain does not have is refused as VIR_ERR_DEVICE_MISSING
    Given an active isolated network "net"
    And a running domain "vm" with hotplug controllers
    When I try to detach the <device> from domain "vm" live
    Then the call fails with VIR_ERR_DEVICE_MISSING

    Examples:
      | device    |
      | SCSI disk |
      | USB NIC   |

  @req:HOT-008 @should
  Scenario: The older attach and detach calls plug a disk into a running domain and out
    Given a running domain "vm" with hotplug controllers
    When I attach the SCSI disk to domain "vm" with the older call
    Then the live XML of domain "vm" has the SCSI disk
    When I detach the SCSI disk from domain "vm" with the older call
    Then the live XML of domain "vm" lacks the SCSI disk

  @req:HOT-009 @should
  Scenario: A disk attached live with a user alias is detached by that alias
    Given a running domain "vm" with hotplug controllers
    When I attach the SCSI disk to domain "vm" live with the alias "ua-ovacts-disk"
    Then the live XML of domain "vm" has the SCSI disk
    When I detach the device with the alias "ua-ovacts-disk" from domain "vm" live
    Then the live XML of domain "vm" lacks the SCSI disk

  @req:HOT-010 @should
  Scenario: A CD-ROM's medium is changed and ejected on a running domain
    Given a shut off domain "vm" with hotplug controllers
    And a storage pool "store"
    And a raw volume "iso1" of 1 MiB in pool "store"
    And a raw volume "iso2" of 1 MiB in pool "store"
    When I attach a SCSI CD-ROM holding volume "iso1" of pool "store" to domain "vm" in its configuration
    And I start domain "vm"
    Then the CD-ROM of domain "vm" holds volume "iso1" of pool "store" in the live XML
    When I insert volume "iso2" of pool "store" into the CD-ROM of domain "vm" live
    Then the CD-ROM of domain "vm" holds volume "iso2" of pool "store" in the live XML
    When I eject the medium of the CD-ROM of domain "vm" live
    Then the CD-ROM of domain "vm" holds no medium in the live XML
