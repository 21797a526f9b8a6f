@save @needs:persistent @ref:libvirt.statecapture
Feature: Save, restore and managed save
  A running domain's memory can go to a file and come back, or be kept by libvirt
  as a managed save image that the next start resumes from.

  @req:SAVE-001 @should
  Scenario: A domain saved to a file stops and restores running
    Given a domain "vm" that is running
    When I save domain "vm" to a file
    Then domain "vm" is shut off with reason "saved"
    When I restore domain "vm" from its file
    Then domain "vm" is running with reason "restored"

  @req:SAVE-002 @should
  Scenario: A save file describes the domain it holds
    Given a domain "vm" that is running
    When I save domain "vm" to a file
    Then the save file of domain "vm" describes that domain

  @req:SAVE-003 @should
  Scenario: A paused domain restores paused
    Given a domain "vm" that is paused
    When I save domain "vm" to a file
    And I restore domain "vm" from its file
    Then domain "vm" is paused

  @req:SAVE-004 @should
  Scenario: Restoring from a file that does not exist is refused
    When I try to restore a domain from a file that does not exist
    Then the call is refused as a missing file

  @req:SAVE-005 @should
  Scenario: A managed save is resumed by the next start
    Given a domain "vm" that is running
    When I managed-save domain "vm"
    Then domain "vm" has managed save image
    And domain "vm" is shut off with reason "saved"
    When I start domain "vm"
    Then domain "vm" is running with reason "restored"
    And domain "vm" has no managed save image

  @req:SAVE-006 @should
  Scenario: A removed managed save makes the next start a fresh boot
    Given a domain "vm" that is running
    When I managed-save domain "vm"
    And I remove the managed save of domain "vm"
    Then domain "vm" has no managed save image
    When I start domain "vm"
    Then domain "vm" is running with reason "booted"

  @req:SAVE-007 @should
  Scenario: A save file's domain XML changed before the restore is the restored domain's
    Given a domain "vm" that is running
    When I save domain "vm" to a file with its flags
    And I set the description in the save file of domain "vm" to "changed in the save file"
    And I restore domain "vm" from its file with its flags
    Then domain "vm" is running with reason "restored"
    And domain "vm" has the description "changed in the save file" in its live XML

  @req:SAVE-008 @should
  Scenario: A domain saved and restored through typed parameters runs again
    Given a domain "vm" that is running
    When I save domain "vm" to a file through typed parameters
    Then domain "vm" is shut off with reason "saved"
    When I restore domain "vm" from its file through typed parameters
    Then domain "vm" is running with reason "restored"

  @req:SAVE-009 @should
  Scenario: A managed save image's domain XML changed before the start is the started domain's
    Given a domain "vm" that is running
    When I managed-save domain "vm"
    And I set the description in the managed save image of domain "vm" to "changed in the managed save"
    And I start domain "vm"
    Then domain "vm" is running with reason "restored"
    And domain "vm" has the description "changed in the managed save" in its live XML
