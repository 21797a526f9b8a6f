@guestfs @needs:guestfs-tools @needs:host @ref:libguestfs.v2v
Feature: OVA input
  virt-v2v reads an OVA (an OVF descriptor, a disk and a manifest of their
  checksums) that the suite makes itself, as a tar file and as a directory,
  with SHA1 and SHA256 manifests, and refuses one whose manifest does not match.
  --print-source reads the source only: no appliance, nothing converted. Like
  the rest of the area it runs where the stack runs: the libguestfs under test
  is the stack host's.

  @req:GFS-014 @must
  Scenario Outline: virt-v2v reads a synthetic OVA in <form> form with a <digest> manifest
    Given a synthetic OVA "vm" in <form> form with a <digest> manifest
    When virt-v2v reads OVA "vm" with --print-source
    Then virt-v2v reports source name "vm", 2 vCPUs, 512 MiB of memory and 1 disk

    Examples:
      | form      | digest |
      | tar       | SHA1   |
      | tar       | SHA256 |
      | directory | SHA1   |
      | directory | SHA256 |

  @req:GFS-015 @must
  Scenario Outline: virt-v2v refuses an OVA in <form> form whose manifest does not match
    Given a synthetic OVA "vm" in <form> form with a SHA256 manifest
    And I corrupt the manifest of OVA "vm"
    When virt-v2v reads OVA "vm" with --print-source
    Then virt-v2v refuses it as a corrupt OVA

    Examples:
      | form      |
      | tar       |
      | directory |
