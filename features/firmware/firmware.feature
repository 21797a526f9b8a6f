@firmware @needs:persistent @needs:domcaps @ref:libvirt.formatdomain @ref:libvirt.formatdomaincaps
Feature: UEFI firmware and emulated TPMs
  Modern guests boot from UEFI and keep their keys in a TPM. A stack whose
  domain capabilities offer UEFI firmware picks it for a domain that asks for
  it, gives the domain an NVRAM of its own made from the firmware's template,
  and runs the firmware; one that offers an emulated TPM 2.0 starts the
  emulator with the domain and keeps its state with the definition. A stack
  that offers neither is not applicable, with its domain capabilities as the
  evidence.

  @req:FW-001 @must
  Scenario: A domain asking for UEFI firmware gets the stack's firmware and an NVRAM of its own, and runs it
    Given a running domain "vm" with UEFI firmware without secure boot, as the domain capabilities offer
    Then the live XML of domain "vm" names the firmware's loader and an NVRAM made from its template
    And domain "vm" keeps running for 5 seconds

  @req:FW-002 @should @needs:host
  Scenario: A domain with an emulated TPM 2.0 starts its emulator, whose state goes with the definition
    Given a running domain "vm" with an emulated TPM 2.0, as the domain capabilities offer
    Then the live XML of domain "vm" has an emulated TPM 2.0
    And the TPM state of domain "vm" is kept on the host
    When I destroy domain "vm"
    Then the TPM state of domain "vm" is kept on the host
    When I undefine domain "vm"
    Then the TPM state of domain "vm" is gone from the host
