package migration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func migrateDomainLiveWith(ctx context.Context, logical, call string) error {
	w := W(ctx)
	m := w.migrate(ctx, logical, call, 0)
	w.rememberMigration(logical, m)
	if err := m.wait(ctx); err != nil {
		return fmt.Errorf("migrating %q with %s: %w", logical, call, err)
	}
	return nil
}

func tryToMigrateDomainToThePeer(ctx context.Context, logical, how string) error {
	w := W(ctx)
	kind := "live"
	if how != "live" {
		kind = "copy"
	}
	m := w.migrate(ctx, logical, kind, 0)
	return w.Try(m.wait(ctx))
}

func tryToMigrateDomainLiveToTheStackItself(ctx context.Context, logical string) error {
	w := W(ctx)
	return w.Try(w.WithDomain(logical, func(d *libvirt.Domain) error {
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
}

func startMigratingDomainLiveToThePeerAtMiBs(ctx context.Context, logical string, mib int) error {
	w := W(ctx)
	m := w.migrate(ctx, logical, "live", uint64(mib))
	w.rememberMigration(logical, m)
	// Wait until the job runs. The bandwidth limit keeps it running for
	// longer than the steps after this one need; a migration that ended
	// first (failed, or faster than its limit) leaves nothing to observe,
	// and says so rather than letting a later step guess.
	var ended error
	err := w.UntilAgent(ctx, 20*time.Second, func(context.Context) error {
		select {
		case <-m.done:
			if m.err != nil {
				ended = fmt.Errorf("the migration at %d MiB/s ended before its job could be observed: %w", mib, m.err)
			} else {
				ended = fmt.Errorf("the migration at %d MiB/s completed in %s, before its job could be observed: the stack did not hold it to its bandwidth limit", mib, m.took.Round(time.Millisecond))
			}
			return nil
		default:
		}
		return w.WithDomain(logical, func(d *libvirt.Domain) error {
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
	if ended != nil {
		return ended
	}
	return err
}

func migrationJobOfDomainReportsDataProcessed(ctx context.Context, logical string) error {
	w := W(ctx)
	m := w.migrationsSt().byDomain[logical]
	if m == nil {
		return errors.New("no migration was started")
	}
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
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
}

func letTheMigrationOfDomainFinishAtFullSpeed(ctx context.Context, logical string) error {
	w := W(ctx)
	m := w.migrationsSt().byDomain[logical]
	if m == nil {
		return errors.New("no migration was started")
	}
	if err := w.WithDomain(logical, func(d *libvirt.Domain) error { return d.MigrateSetMaxSpeed(8192, 0) }); err != nil && !harness.IsNotFound(err) {
		return fmt.Errorf("raising the migration speed: %w", err)
	}
	return m.wait(ctx)
}

func abortTheMigrationOfDomain(ctx context.Context, logical string) error {
	w := W(ctx)
	m := w.migrationsSt().byDomain[logical]
	if m == nil {
		return errors.New("no migration was started")
	}
	if err := w.WithDomain(logical, func(d *libvirt.Domain) error { return d.AbortJob() }); err != nil {
		return fmt.Errorf("aborting the job: %w", err)
	}
	err := m.wait(ctx)
	w.Tried, w.LastErr = true, err
	return nil
}

func domainIsOnThePeer(ctx context.Context, logical, state string) error {
	w := W(ctx)
	want := map[string]libvirt.DomainState{"running": libvirt.DOMAIN_RUNNING, "paused": libvirt.DOMAIN_PAUSED, "shut off": libvirt.DOMAIN_SHUTOFF}[state]
	return w.WithPeerDomain(logical, func(d *libvirt.Domain) error {
		st, reason, err := d.GetState()
		if err != nil {
			return err
		}
		if st != want {
			return fmt.Errorf("domain %q is %s on the peer, want %s", logical, stepkit.DescribeState(st, reason), state)
		}
		return nil
	})
}

func domainPersistenceOnThePeer(ctx context.Context, logical, want string) error {
	w := W(ctx)
	return w.WithPeerDomain(logical, func(d *libvirt.Domain) error {
		p, err := d.IsPersistent()
		if err != nil {
			return err
		}
		if p != (want == "persistent") {
			return fmt.Errorf("domain %q on the peer: persistent=%v, want %s", logical, p, want)
		}
		return nil
	})
}

func peerHasNoDomain(ctx context.Context, logical string) error {
	w := W(ctx)
	err := w.WithPeerDomain(logical, func(*libvirt.Domain) error { return nil })
	if err == nil {
		return fmt.Errorf("the peer has domain %q", logical)
	}
	if errors.Is(err, libvirt.ERR_NO_DOMAIN) {
		return nil
	}
	return err
}

func domainOnThePeerHasItsUUIDAndDefinition(ctx context.Context, logical string) error {
	w := W(ctx)
	m := w.migrationsSt().byDomain[logical]
	if m == nil || m.before == "" {
		return errors.New("no migration of this domain was recorded")
	}
	want, err := stepkit.ParseDomain(m.before)
	if err != nil {
		return err
	}
	return w.WithPeerDomain(logical, func(d *libvirt.Domain) error {
		x, err := d.GetXMLDesc(0)
		if err != nil {
			return err
		}
		got, err := stepkit.ParseDomain(x)
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
}

func peerHasTheStoragePoolOfThe(ctx context.Context, pool string) error {
	w := W(ctx)
	peer, err := w.PeerConn()
	if err != nil {
		return err
	}
	var p *libvirt.StoragePool
	err = w.PeerTracker.Create(w.PoolResource(pool), func() (string, error) {
		var err error
		p, err = peer.StoragePoolDefineXML(w.PoolXML(pool), 0)
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
	return w.WithPool(pool, func(src *libvirt.StoragePool) error {
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
}

func peerSPoolHoldsVolume(ctx context.Context, pool, vol string) error {
	w := W(ctx)
	peer, err := w.PeerConn()
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
}

func watchDomainEventsOnTheStackAndThePeer(ctx context.Context) error {
	w := W(ctx)
	if _, err := w.PeerConn(); err != nil {
		return err
	}
	if err := w.Watch("domain"); err != nil {
		return err
	}
	l := w.EventsLog()
	prefix := w.ScenarioPrefix()
	un, err := w.PeerEvents.Subscribe("domain", prefix, func(ev harness.Event) {
		l.Add("peer domain", strings.TrimPrefix(ev.Object, prefix), ev.Name)
	})
	if err != nil {
		return err
	}
	w.PeerTracker.Defer("peer domain event subscription", func() error { un(); return nil })
	return nil
}

func registerMigration(r *stepkit.Registry) {
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
	r.Step(`^I migrate domain "([^"]*)" live to the peer with (virDomainMigrate|virDomainMigrate2|virDomainMigrateToURI|virDomainMigrateToURI2)$`, migrateDomainLiveWith)
	r.Step(`^I try to migrate domain "([^"]*)" (live|live copying all storage) to the peer$`, tryToMigrateDomainToThePeer)
	r.Step(`^I try to migrate domain "([^"]*)" live to the stack itself$`, tryToMigrateDomainLiveToTheStackItself)
	r.Step(`^I start migrating domain "([^"]*)" live to the peer at (\d+) MiB/s$`, startMigratingDomainLiveToThePeerAtMiBs)
	r.Step(`^the migration job of domain "([^"]*)" reports data processed and remaining, and its statistics$`, migrationJobOfDomainReportsDataProcessed)
	r.Step(`^I let the migration of domain "([^"]*)" finish at full speed$`, letTheMigrationOfDomainFinishAtFullSpeed)
	r.Step(`^I abort the migration of domain "([^"]*)"$`, abortTheMigrationOfDomain)
	r.Step(`^domain "([^"]*)" is (running|paused|shut off) on the peer$`, domainIsOnThePeer)
	r.Step(`^domain "([^"]*)" is (persistent|transient) on the peer$`, domainPersistenceOnThePeer)
	r.Step(`^the peer has no domain "([^"]*)"$`, peerHasNoDomain)
	r.Step(`^domain "([^"]*)" on the peer has the UUID and definition it had before the migration$`, domainOnThePeerHasItsUUIDAndDefinition)
	r.Step(`^the peer has the storage pool "([^"]*)" of the stack, empty$`, peerHasTheStoragePoolOfThe)
	r.Step(`^the peer's pool "([^"]*)" holds volume "([^"]*)"$`, peerSPoolHoldsVolume)
	r.Step(`^I watch domain events on the stack and on the peer$`, watchDomainEventsOnTheStackAndThePeer)
}
