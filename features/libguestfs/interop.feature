@guestfs @needs:guestfs @needs:guestfs-appliance @needs:host @needs:guestfs-libvirt @ref:libguestfs.api
Feature: libguestfs with the libvirt stack
  libguestfs and the stack under test work together: its libvirt backend runs
  the appliance as a transient domain of the stack, add_domain reads the disks
  of a domain the stack defines, and a volume of a storage pool that libguestfs
  changed is used by a guest of the stack.

  @req:GFS-011 @must
  Scenario: The libvirt backend runs the appliance as a transient domain of the stack
    Given a libguestfs handle on the libvirt backend of the stack under test
    And libguestfs creates a raw disk "scratch.img" of 64 MiB
    And I add disk "scratch.img" to the handle
    When I launch the libguestfs appliance
    Then the stack runs the appliance as a transient domain with disk "scratch.img"
    When libguestfs partitions disk 1, makes an ext4 filesystem on it and mounts it
    And libguestfs writes 64 KiB of random data to "/payload.bin"
    Then reading "/payload.bin" back through libguestfs gives the same data
    When I close the libguestfs handle
    Then the appliance's domain is gone from the stack

  @req:GFS-012 @must
  Scenario: add_domain reads the disk of a domain the suite defined
    Given a phony Debian 12.4 guest disk "phony.img" with hostname "ovacts-addomain"
    And a shut off domain "vm" whose disk is "phony.img"
    And a libguestfs handle
    When libguestfs adds domain "vm" of the stack under test read-only
    Then libguestfs added 1 disk
    When I launch the libguestfs appliance
    And libguestfs inspects the disks
    Then the inspection finds one operating system:
      | distro   | debian          |
      | hostname | ovacts-addomain |

  @req:GFS-013 @should @needs:guest
  Scenario: A pool volume changed with libguestfs is read by a guest it is attached to
    Given a storage pool "gfs"
    And a qcow2 volume "shared" of 64 MiB in pool "gfs"
    And libguestfs makes an ext4 filesystem on volume "shared" in pool "gfs" holding "/hello.txt" with "written by libguestfs"
    And a running guest "g"
    When I attach volume "shared" in pool "gfs" to guest "g"
    Then guest "g" reads "written by libguestfs" from "/hello.txt" on that volume within 30 seconds
