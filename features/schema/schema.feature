@schema @needs:schemas @ref:libvirt.schemas
Feature: The XML interface contract
  Management applications parse what libvirt emits by its published RELAX NG
  schemas (/usr/share/libvirt/schemas, as virt-xml-validate uses them), and
  write what those schemas describe. Every XML document the stack emits
  validates against the schema of its format, for the daemon's libvirt, and a
  definition that asks libvirt to validate it is refused when it does not.

  @req:SCHEMA-001 @must @ref:libvirt.formatcaps
  Scenario: The host capabilities XML validates against libvirt's schema
    Then the host capabilities XML validates against libvirt's schema

  @req:SCHEMA-002 @must @needs:domcaps @ref:libvirt.formatdomaincaps
  Scenario: The domain capabilities XML validates against libvirt's schema
    Then the domain capabilities XML validates against libvirt's schema

  @req:SCHEMA-003 @must @needs:persistent @ref:libvirt.formatdomain
  Scenario: A defined domain's inactive XML validates against libvirt's schema
    Given a shut off domain "vm" with a qcow2 disk
    Then the inactive XML of domain "vm" validates against libvirt's schema

  @req:SCHEMA-004 @must @needs:persistent @ref:libvirt.formatdomain
  Scenario: A running domain's live and migratable XML validate against libvirt's schema
    Given a running domain "vm" with a qcow2 disk
    Then the live XML of domain "vm" validates against libvirt's schema
    And the migratable XML of domain "vm" validates against libvirt's schema

  @req:SCHEMA-005 @must @ref:libvirt.formatnetwork
  Scenario: A running network's XML validates against libvirt's schema
    Given an active NAT network "net"
    Then the XML of network "net" validates against libvirt's schema

  @req:SCHEMA-006 @must @ref:libvirt.formatstorage
  Scenario: A storage pool's and its volume's XML validate against libvirt's schema
    Given a storage pool "pool"
    And a qcow2 volume "disk" of 16 MiB in pool "pool"
    Then the XML of storage pool "pool" validates against libvirt's schema
    And the XML of volume "disk" in pool "pool" validates against libvirt's schema

  @req:SCHEMA-007 @should @ref:libvirt.formatstorage
  Scenario: The storage pool capabilities XML validates against libvirt's schema
    Then the storage pool capabilities XML validates against libvirt's schema

  @req:SCHEMA-008 @must @needs:secrets @ref:libvirt.formatsecret
  Scenario: A secret's XML validates against libvirt's schema
    When I define a private secret "key"
    Then the XML of secret "key" validates against libvirt's schema

  @req:SCHEMA-009 @must @needs:nwfilter @ref:libvirt.formatnwfilter
  Scenario: A network filter's XML validates against libvirt's schema
    When I define network filter "flt" referencing "clean-traffic"
    Then the XML of network filter "flt" validates against libvirt's schema

  @req:SCHEMA-010 @should @needs:nwfilter @needs:persistent @ref:libvirt.formatnwfilter
  Scenario: A filtered NIC's filter binding XML validates against libvirt's schema
    Given an active isolated network "net"
    And I define network filter "flt" referencing "clean-traffic"
    And a running domain "vm" with a NIC on network "net" filtered by "flt"
    Then the XML of the filter binding of domain "vm"'s NIC validates against libvirt's schema

  @req:SCHEMA-011 @should @ref:libvirt.formatnetwork
  Scenario: A network port's XML validates against libvirt's schema
    Given an active isolated network "net"
    Then the XML of a port created on network "net" validates against libvirt's schema

  @req:SCHEMA-012 @must @needs:persistent @ref:libvirt.formatsnapshot
  Scenario: A snapshot's XML validates against libvirt's schema
    Given a running domain "vm" with a qcow2 disk
    When I take an internal snapshot "snap" of domain "vm"
    Then the XML of snapshot "snap" of domain "vm" validates against libvirt's schema

  @req:SCHEMA-013 @should @needs:persistent @ref:libvirt.statecapture
  Scenario: A checkpoint's XML validates against libvirt's schema
    Given a running domain "vm" with a qcow2 disk
    When I create checkpoint "cp" of domain "vm"
    Then the XML of checkpoint "cp" of domain "vm" validates against libvirt's schema

  @req:SCHEMA-014 @should @ref:libvirt.api.host
  Scenario: Every node device's XML validates against libvirt's schema
    Then the XML of every node device validates against libvirt's schema

  @req:SCHEMA-015 @should @ref:libvirt.api.host
  Scenario: Every host interface's XML validates against libvirt's schema
    Then the XML of every host interface validates against libvirt's schema

  @req:SCHEMA-016 @must @needs:persistent @ref:libvirt.formatdomain
  Scenario: A definition asked to be validated is refused when the schema does not allow it
    When I try to define domain "bad" with an element the schema does not know, asking libvirt to validate it
    Then the call fails with VIR_ERR_XML_INVALID_SCHEMA
    And there is no domain "bad"
    When I define domain "good" from fixture "described", asking libvirt to validate it
    Then domain "good" is persistent

  @req:SCHEMA-017 @should @needs:persistent @ref:libvirt.statecapture
  Scenario: A running backup job's XML validates against libvirt's schema
    Given a running domain "vm" with a raw disk
    When I start a pull backup of disk vda of domain "vm" over NBD
    Then the backup XML of domain "vm" validates against libvirt's schema
