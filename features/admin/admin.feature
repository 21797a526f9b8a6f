@admin @needs:admin @ref:libvirt.api.admin
Feature: The daemon's admin interface
  Operators and management agents watch and tune the libvirt daemon through
  its admin interface (libvirt-admin, as virt-admin uses it): its servers,
  their worker pools and client limits, the clients connected, and its logging
  settings. Reading is checked against what the suite itself knows (its own
  connection, its process); every change is reversible, is undone by the
  scenario and, should it fail, at cleanup.

  @req:ADMIN-001 @must
  Scenario: The admin interface answers the daemon's libvirt version and its URI
    Then the admin interface of the daemon answers the daemon's libvirt version and its own URI

  @req:ADMIN-002 @must
  Scenario: The daemon's servers are listed with their worker pools and client counts
    Then the daemon's servers are listed and found by name, each with a worker pool and client counts in order

  @req:ADMIN-003 @should
  Scenario: The daemon lists the suite's own connection among its clients
    Then the daemon lists this process's connection among its clients, over a UNIX socket

  @req:ADMIN-004 @should
  Scenario Outline: The <limit> of the daemon's server is changed and restored
    When I change the <limit> of the daemon's server to one more
    Then the daemon's server has the <limit> it was given
    When I restore the <limit> of the daemon's server
    Then the daemon's server has the <limit> it was given

    Examples:
      | limit           |
      | maximum workers |
      | maximum clients |

  @req:ADMIN-005 @should
  Scenario: The daemon's logging filters are changed and restored
    When I add a log filter of the suite to the daemon's logging filters
    Then the daemon's logging filters include the suite's filter, and its logging outputs are named
    When I restore the daemon's logging filters
    Then the daemon's logging filters exclude the suite's filter, and its logging outputs are named

  @req:ADMIN-006 @should
  Scenario: A client closed through the admin interface loses its connection, and is told
    Then a second connection of this process, closed through the admin interface, is no longer alive and its close callback is called
