@migration @needs:persistent @ref:libvirt.migration
Feature: Migration to the stack itself
  libvirt refuses to migrate a domain to the host it already runs on, and says
  why; the domain keeps running. No second stack is needed to check it.

  @req:MIG-011 @must
  Scenario: Migrating a domain to its own host is refused
    Given a domain "vm" that is running
    When I try to migrate domain "vm" live to the stack itself
    Then the call is refused as a migration to the same host saying "same host"
    And domain "vm" is running
