package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Migration: a domain moves from the stack to the peer (--peer-uri), and the
// destination's objects are tracked and removed like the source's.

// migration is one migration of the scenario, started in the background when
// the scenario watches it while it runs.
type migration struct {
	done   chan struct{}
	err    error
	took   time.Duration
	before string // the domain's live XML before the migration
}

func (w *world) peer() (*libvirt.Connect, error) {
	if w.Peer == nil {
		return nil, harness.NotRun("no peer stack for this run (--peer-uri)")
	}
	return w.Peer, nil
}

func (w *world) withPeerDomain(logical string, fn func(d *libvirt.Domain) error) error {
	p, err := w.peer()
	if err != nil {
		return err
	}
	d, err := p.LookupDomainByName(w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up domain %q on the peer: %w", logical, err)
	}
	defer d.Free()
	return fn(d)
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
	peer, err := w.peer()
	if err != nil {
		m.err = err
		close(m.done)
		return m
	}
	_ = w.withDomain(logical, func(d *libvirt.Domain) error {
		m.before, _ = d.GetXMLDesc(0)
		return nil
	})
	flags := libvirt.MIGRATE_LIVE
	params := &libvirt.DomainMigrateParameters{}
	if bandwidthMiB > 0 {
		params.Bandwidth, params.BandwidthSet = bandwidthMiB, true
	}
	switch kind {
	case "live", "p2p":
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
	if err := w.withDomain(logical, func(d *libvirt.Domain) (err error) { uuid, err = d.GetUUIDString(); return err }); err != nil {
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
		m.err = w.withDomain(logical, func(d *libvirt.Domain) error {
			if kind == "p2p" {
				return d.MigrateToURI3(peerURIOf(w), params, flags|libvirt.MIGRATE_PEER2PEER)
			}
			nd, err := d.Migrate3(peer, params, flags)
			if err == nil {
				nd.Free()
			}
			return err
		})
		m.took = time.Since(start)
		if m.err == nil && kind == "persist" {
			// The source's definition went with it.
			w.Tracker.Forget(harness.Resource{Kind: harness.KindDomain, Name: w.Name(logical)})
		}
	}()
	return m
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

func registerMigration(r *Registry) {
	for phrase, kind := range map[string]string{
		"live":                             "live",
		"live peer-to-peer":                "p2p",
		"offline":                          "offline",
		"live copying all storage":         "copy",
		"live over a chosen migration URI": "uri",
		"live, persisting it there and undefining it here": "persist",
	} {
		kind := kind
		r.Step(`^I migrate domain "([^"]*)" `+phrase+` to the peer$`, func(ctx context.Context, logical string) error {
			w := W(ctx)
			m := w.migrate(ctx, logical, kind, 0)
			w.rememberMigration(logical, m)
			if err := m.wait(ctx); err != nil {
				return fmt.Errorf("migrating %q (%s): %w", logical, kind, err)
			}
			return nil
		})
	}
	r.Step(`^I try to migrate domain "([^"]*)" (live|live copying all storage) to the peer$`, func(ctx context.Context, logical, how string) error {
		w := W(ctx)
		kind := "live"
		if how != "live" {
			kind = "copy"
		}
		m := w.migrate(ctx, logical, kind, 0)
		return w.try(m.wait(ctx))
	})
	r.Step(`^I try to migrate domain "([^"]*)" live to the stack itself$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		return w.try(w.withDomain(logical, func(d *libvirt.Domain) error {
			nd, err := d.Migrate3(w.Conn, &libvirt.DomainMigrateParameters{}, libvirt.MIGRATE_LIVE)
			if err != nil {
				return err
			}
			defer nd.Free()
			uuid, err := nd.GetUUIDString()
			if err != nil {
				return err
			}
			return w.Tracker.Add(harness.Resource{Kind: harness.KindDomain, Name: w.Name(logical), UUID: uuid})
		}))
	})
	r.Step(`^I start migrating domain "([^"]*)" live to the peer at (\d+) MiB/s$`, func(ctx context.Context, logical string, mib int) error {
		w := W(ctx)
		m := w.migrate(ctx, logical, "live", uint64(mib))
		w.rememberMigration(logical, m)
		// Wait until the job runs (or the migration already ended).
		return w.untilAgent(ctx, 20*time.Second, func(context.Context) error {
			select {
			case <-m.done:
				return nil
			default:
			}
			return w.withDomain(logical, func(d *libvirt.Domain) error {
				info, err := d.GetJobInfo()
				if err != nil {
					return err
				}
				if info.Type != libvirt.DOMAIN_JOB_UNBOUNDED || info.DataProcessed == 0 {
					return fmt.Errorf("no migration job with data yet (type %d, processed %d)", info.Type, info.DataProcessed)
				}
				return nil
			})
		})
	})
	r.Step(`^the migration job of domain "([^"]*)" reports data processed and remaining, and its statistics$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		m := w.migrations[logical]
		if m == nil {
			return errors.New("no migration was started")
		}
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			info, err := d.GetJobInfo()
			if err != nil {
				return fmt.Errorf("job info: %w", err)
			}
			if info.Type != libvirt.DOMAIN_JOB_UNBOUNDED {
				return fmt.Errorf("job type %d, want an unbounded (running) job: did the migration end already?", info.Type)
			}
			if !info.DataTotalSet || !info.DataProcessedSet || !info.DataRemainingSet || info.DataProcessed == 0 || info.DataTotal < info.DataProcessed {
				return fmt.Errorf("job info without consistent data figures: %+v", info)
			}
			stats, err := d.GetJobStats(0)
			if err != nil {
				return fmt.Errorf("job stats: %w", err)
			}
			if stats.Type != libvirt.DOMAIN_JOB_UNBOUNDED || !stats.MemTotalSet || !stats.MemProcessedSet || stats.MemProcessed == 0 || !stats.TimeElapsedSet {
				return fmt.Errorf("job stats lack the memory figures of a running migration: type %d, memory %d/%d", stats.Type, stats.MemProcessed, stats.MemTotal)
			}
			if stats.Operation != libvirt.DOMAIN_JOB_OPERATION_MIGRATION_OUT {
				return fmt.Errorf("job stats operation %d, want an outgoing migration", stats.Operation)
			}
			return nil
		})
	})
	r.Step(`^I let the migration of domain "([^"]*)" finish at full speed$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		m := w.migrations[logical]
		if m == nil {
			return errors.New("no migration was started")
		}
		if err := w.withDomain(logical, func(d *libvirt.Domain) error { return d.MigrateSetMaxSpeed(8192, 0) }); err != nil && !harness.IsNotFound(err) {
			return fmt.Errorf("raising the migration speed: %w", err)
		}
		return m.wait(ctx)
	})
	r.Step(`^I abort the migration of domain "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		m := w.migrations[logical]
		if m == nil {
			return errors.New("no migration was started")
		}
		if err := w.withDomain(logical, func(d *libvirt.Domain) error { return d.AbortJob() }); err != nil {
			return fmt.Errorf("aborting the job: %w", err)
		}
		err := m.wait(ctx)
		w.tried, w.lastErr = true, err
		return nil
	})
	r.Step(`^domain "([^"]*)" is (running|paused|shut off) on the peer$`, func(ctx context.Context, logical, state string) error {
		w := W(ctx)
		want := map[string]libvirt.DomainState{"running": libvirt.DOMAIN_RUNNING, "paused": libvirt.DOMAIN_PAUSED, "shut off": libvirt.DOMAIN_SHUTOFF}[state]
		return w.withPeerDomain(logical, func(d *libvirt.Domain) error {
			st, reason, err := d.GetState()
			if err != nil {
				return err
			}
			if st != want {
				return fmt.Errorf("domain %q is %s on the peer, want %s", logical, describeState(st, reason), state)
			}
			return nil
		})
	})
	r.Step(`^domain "([^"]*)" is (persistent|transient) on the peer$`, func(ctx context.Context, logical, want string) error {
		w := W(ctx)
		return w.withPeerDomain(logical, func(d *libvirt.Domain) error {
			p, err := d.IsPersistent()
			if err != nil {
				return err
			}
			if p != (want == "persistent") {
				return fmt.Errorf("domain %q on the peer: persistent=%v, want %s", logical, p, want)
			}
			return nil
		})
	})
	r.Step(`^the peer has no domain "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		err := w.withPeerDomain(logical, func(*libvirt.Domain) error { return nil })
		if err == nil {
			return fmt.Errorf("the peer has domain %q", logical)
		}
		if errors.Is(err, libvirt.ERR_NO_DOMAIN) {
			return nil
		}
		return err
	})
	r.Step(`^domain "([^"]*)" on the peer has the UUID and definition it had before the migration$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		m := w.migrations[logical]
		if m == nil || m.before == "" {
			return errors.New("no migration of this domain was recorded")
		}
		want, err := parseDomain(m.before)
		if err != nil {
			return err
		}
		return w.withPeerDomain(logical, func(d *libvirt.Domain) error {
			x, err := d.GetXMLDesc(0)
			if err != nil {
				return err
			}
			got, err := parseDomain(x)
			if err != nil {
				return err
			}
			if got.UUID != want.UUID {
				return fmt.Errorf("UUID %s on the peer, %s before", got.UUID, want.UUID)
			}
			if diff := cmp.Diff(want, got, migrationOptions); diff != "" {
				return fmt.Errorf("the definition changed in the migration (-before +after):\n%s", diff)
			}
			return nil
		})
	})
	r.Step(`^the peer has the storage pool "([^"]*)" of the stack, empty$`, func(ctx context.Context, pool string) error {
		w := W(ctx)
		peer, err := w.peer()
		if err != nil {
			return err
		}
		var p *libvirt.StoragePool
		err = w.PeerTracker.Create(w.poolResource(pool), func() (string, error) {
			var err error
			p, err = peer.StoragePoolDefineXML(w.poolXML(pool), 0)
			return "", err
		})
		if err != nil {
			return fmt.Errorf("defining the pool on the peer: %w", err)
		}
		defer p.Free()
		if err := p.Build(0); err != nil {
			return fmt.Errorf("building the pool on the peer: %w", err)
		}
		if err := p.Create(0); err != nil {
			return err
		}
		// A migration that copies storage makes the stack's volumes of this
		// pool on the peer, at the same paths: recorded now as the run's.
		return w.withPool(pool, func(src *libvirt.StoragePool) error {
			vols, err := src.ListAllStorageVolumes(0)
			if err != nil {
				return err
			}
			defer func() {
				for i := range vols {
					vols[i].Free()
				}
			}()
			for i := range vols {
				vp, err := vols[i].GetPath()
				if err != nil {
					return err
				}
				if err := w.PeerTracker.Add(harness.Resource{Kind: harness.KindFile, Path: vp, Parent: w.Name(pool)}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	r.Step(`^the peer's pool "([^"]*)" holds volume "([^"]*)"$`, func(ctx context.Context, pool, vol string) error {
		w := W(ctx)
		peer, err := w.peer()
		if err != nil {
			return err
		}
		p, err := peer.LookupStoragePoolByName(w.Name(pool))
		if err != nil {
			return err
		}
		defer p.Free()
		if err := p.Refresh(0); err != nil {
			return err
		}
		v, err := p.LookupStorageVolByName(w.Name(vol))
		if err != nil {
			return fmt.Errorf("volume %q on the peer: %w", vol, err)
		}
		return v.Free()
	})
	r.Step(`^I watch domain events on the stack and on the peer$`, func(ctx context.Context) error {
		w := W(ctx)
		if _, err := w.peer(); err != nil {
			return err
		}
		if err := w.watch("domain"); err != nil {
			return err
		}
		l := w.eventsLog()
		prefix := w.ScenarioPrefix()
		un, err := w.PeerEvents.Subscribe("domain", prefix, func(ev harness.Event) {
			l.add("peer domain", strings.TrimPrefix(ev.Object, prefix), ev.Name)
		})
		if err != nil {
			return err
		}
		w.PeerTracker.Defer("peer domain event subscription", func() error { un(); return nil })
		return nil
	})
}

func (w *world) rememberMigration(logical string, m *migration) {
	if w.migrations == nil {
		w.migrations = map[string]*migration{}
	}
	w.migrations[logical] = m
}
