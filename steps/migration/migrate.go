// A migration to the peer as the migration steps (migration.go) run it: its
// URI and options, the job and its wait, the last one of each domain.

package migration

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// migration is one migration of the scenario, started in the background when
// the scenario watches it while it runs.
type migration struct {
	done   chan struct{}
	err    error
	took   time.Duration
	before string // the domain's live XML before the migration
}

// migrationURI is where the destination listens for migration data when a
// scenario chooses it: the loopback for a peer on this machine, else the
// peer's host name, on a port outside QEMU's default range (49152-49215).
func (w *world) migrationURI() string {
	host := w.PeerInfo.Hostname
	if harness.LocalURI(w.URI()) && harness.LocalURI(peerURIOf(w)) {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("tcp://%s:49500", host)
}

func peerURIOf(w *world) string {
	if u, err := w.Peer.GetURI(); err == nil {
		return u
	}
	return ""
}

// migrate runs one migration; kind selects the flags. It records the domain on
// the peer's tracker as soon as the destination may hold it.
func (w *world) migrate(ctx context.Context, logical, kind string, bandwidthMiB uint64) *migration {
	m := &migration{done: make(chan struct{})}
	peer, err := w.PeerConn()
	if err != nil {
		m.err = err
		close(m.done)
		return m
	}
	_ = w.WithDomain(logical, func(d *libvirt.Domain) error {
		m.before, _ = d.GetXMLDesc(0)
		return nil
	})
	flags := libvirt.MIGRATE_LIVE
	params := &libvirt.DomainMigrateParameters{}
	if bandwidthMiB > 0 {
		params.Bandwidth, params.BandwidthSet = bandwidthMiB, true
	}
	switch kind {
	case "live", "p2p", "virDomainMigrate", "virDomainMigrate2", "virDomainMigrateToURI", "virDomainMigrateToURI2":
	case "offline":
		flags = libvirt.MIGRATE_OFFLINE | libvirt.MIGRATE_PERSIST_DEST
	case "copy":
		flags |= libvirt.MIGRATE_NON_SHARED_DISK
	case "uri":
		params.URI, params.URISet = w.migrationURI(), true
	case "persist":
		flags |= libvirt.MIGRATE_PERSIST_DEST | libvirt.MIGRATE_UNDEFINE_SOURCE
	default:
		m.err = fmt.Errorf("unknown migration kind %q", kind)
		close(m.done)
		return m
	}
	// Recorded before: a migration that fails half-way may leave it there. It
	// keeps its UUID on the peer.
	var uuid string
	if err := w.WithDomain(logical, func(d *libvirt.Domain) (err error) { uuid, err = d.GetUUIDString(); return err }); err != nil {
		m.err = err
		close(m.done)
		return m
	}
	if err := w.PeerTracker.Add(harness.Resource{Kind: harness.KindDomain, Name: w.Name(logical), UUID: uuid}); err != nil {
		m.err = err
		close(m.done)
		return m
	}
	go func() {
		defer close(m.done)
		start := time.Now()
		m.err = w.WithDomain(logical, func(d *libvirt.Domain) error {
			return migrateBy(d, kind, peer, peerURIOf(w), params, flags)
		})
		m.took = time.Since(start)
		if m.err == nil && kind == "persist" {
			// The source's definition went with it.
			w.Tracker.Forget(harness.Resource{Kind: harness.KindDomain, Name: w.Name(logical)})
		}
	}()
	return m
}

// migrateBy migrates d with the entry point kind names: the current ones
// (Migrate3, or MigrateToURI3 peer-to-peer), or one of the older calls
// management applications still make.
func migrateBy(d *libvirt.Domain, kind string, peer *libvirt.Connect, peerURI string, params *libvirt.DomainMigrateParameters, flags libvirt.DomainMigrateFlags) error {
	var nd *libvirt.Domain
	var err error
	switch kind {
	case "p2p":
		return d.MigrateToURI3(peerURI, params, flags|libvirt.MIGRATE_PEER2PEER)
	case "virDomainMigrateToURI":
		return d.MigrateToURI(peerURI, flags|libvirt.MIGRATE_PEER2PEER, "", 0)
	case "virDomainMigrateToURI2":
		return d.MigrateToURI2(peerURI, "", "", flags|libvirt.MIGRATE_PEER2PEER, "", 0)
	case "virDomainMigrate":
		nd, err = d.Migrate(peer, flags, "", "", 0)
	case "virDomainMigrate2":
		nd, err = d.Migrate2(peer, "", flags, "", "", 0)
	default:
		nd, err = d.Migrate3(peer, params, flags)
	}
	if err == nil {
		nd.Free()
	}
	return err
}

func (m *migration) wait(ctx context.Context) error {
	select {
	case <-m.done:
		return m.err
	case <-ctx.Done():
		return fmt.Errorf("the migration is still running: %w", ctx.Err())
	}
}

// migrationOptions compare a domain's definition before and after migration:
// its ID is per host, and so are the seclabel and the runtime-only details
// libvirt fills in on each side (the agent's channel state, the console's pty).
var migrationOptions = cmp.Options{
	cmpopts.IgnoreFields(libvirtxml.Domain{}, "ID", "SecLabel"),
	cmpopts.IgnoreFields(libvirtxml.DomainChardevSource{}, "Pty"),
	cmpopts.IgnoreFields(libvirtxml.DomainChannelTarget{}, "VirtIO"),
	cmpopts.IgnoreFields(libvirtxml.DomainConsole{}, "TTY"),
	cmpopts.IgnoreFields(libvirtxml.DomainSerial{}, "Source"),
	cmpopts.IgnoreFields(libvirtxml.DomainConsole{}, "Source"),
}

// migrationsState is the last migration of each logical domain.
type migrationsState struct {
	byDomain map[string]*migration
}

func (w *world) migrationsSt() *migrationsState { return stepkit.State[migrationsState](w.World) }

func (w *world) rememberMigration(logical string, m *migration) {
	if w.migrationsSt().byDomain == nil {
		w.migrationsSt().byDomain = map[string]*migration{}
	}
	w.migrationsSt().byDomain[logical] = m
}
