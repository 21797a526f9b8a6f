@guestfs @needs:guestfs @needs:guestfs-appliance @needs:host @ref:libguestfs.api @ref:libguestfs.inspector
Feature: libguestfs inspection
  libguestfs recognises the operating system on a disk image: a phony Debian
  guest that the suite writes itself (os-release, debian_version, hostname,
  fstab, dpkg status and the host's /bin/ls, no kernel) and a blank disk.
  virt-inspector's XML for that guest validates against the RELAX NG schema
  guestfs-tools ships.

  @req:GFS-008 @must @shared:inspection
  Scenario: A Debian guest image is inspected as Debian with its version, hostname, arch and package format
    Given a libguestfs appliance launched on a phony Debian 12.4 disk "phony.img" with hostname "ovacts-phony" and a blank disk "blank.img", both read-only
    When libguestfs inspects the disks
    Then the inspection finds one operating system:
      | type               | linux        |
      | distro             | debian       |
      | major version      | 12           |
      | minor version      | 4            |
      | hostname           | ovacts-phony |
      | package format     | deb          |
      | package management | apt          |
    And the inspection reports the architecture of the host's /bin/ls

  @req:GFS-009 @must @shared:inspection
  Scenario: A blank disk is reported as having no operating system
    Given a libguestfs appliance launched on a phony Debian 12.4 disk "phony.img" with hostname "ovacts-phony" and a blank disk "blank.img", both read-only
    When libguestfs inspects the disks
    Then the inspection finds no operating system on disk "blank.img" but one on disk "phony.img"

  @req:GFS-010 @should @needs:guestfs-tools
  Scenario: virt-inspector's XML for a Debian guest validates against its RELAX NG schema
    Given a phony Debian 12.4 guest disk "phony.img" with hostname "ovacts-phony"
    When virt-inspector describes disk "phony.img"
    Then the virt-inspector XML validates against the RELAX NG schema of guestfs-tools
    And the virt-inspector XML names distro "debian", version 12.4 and hostname "ovacts-phony"
