// More of networks, filters, secrets, streams and the node
// (features/network, nwfilter, secret, storage, host): a network port's
// bandwidth and lookups, definitions validated against the schema, filter
// bindings listed, a secret's usage and UUID, stream loops, and the node's
// memory parameters.

package steps

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

func registerObjectsMore(r *Registry) {
	r.Step(`^a port created on network "([^"]*)" keeps the inbound bandwidth it is given, read back as set$`, portKeepsBandwidth)
	r.Step(`^a port created on network "([^"]*)" is found by its UUID, on that network, with its UUID as bytes$`, portFoundByUUID)
	r.Step(`^I try to define an isolated network "([^"]*)" with an element the schema does not know, asking libvirt to validate it$`, tryToDefineNetworkUnknownElement)
	r.Step(`^I (define|create transient) isolated network "([^"]*)", asking libvirt to validate it$`, addNetworkValidated)
	r.Step(`^I try to define network filter "([^"]*)" with an element the schema does not know, asking libvirt to validate it$`, tryToDefineFilterUnknownElement)
	r.Step(`^no network filter "([^"]*)" was defined$`, noNetworkFilterDefined)
	r.Step(`^the list of all filter bindings holds the binding of domain "([^"]*)"'s NIC, naming filter "([^"]*)" and its host device$`, bindingsListHoldsNIC)
	r.Step(`^secret "([^"]*)" answers its usage type, its usage ID and its UUID as bytes$`, secretAnswersUsageAndUUID)
	r.Step(`^(\d+) KiB sent to volume "([^"]*)" in pool "([^"]*)" through the stream's send-all loop come back through its receive-all loop$`, streamLoopsRoundTrip)
	r.Step(`^the node's memory parameters answer the pages the kernel's same-page merging scans$`, nodeMemoryParametersAnswer)
}

func portKeepsBandwidth(ctx context.Context, network string) error {
	return W(ctx).withNewPort(network, func(_ *libvirt.Network, p *libvirt.NetworkPort) error {
		const average, peak, burst = 1000, 2000, 1024 // KiB/s, KiB/s, KiB
		set := &libvirt.NetworkPortParameters{BandwidthInAverageSet: true, BandwidthInAverage: average,
			BandwidthInPeakSet: true, BandwidthInPeak: peak, BandwidthInBurstSet: true, BandwidthInBurst: burst}
		if err := p.SetParameters(set, 0); err != nil {
			return err
		}
		got, err := p.GetParameters(0)
		if err != nil {
			return err
		}
		if got.BandwidthInAverage != average || got.BandwidthInPeak != peak || got.BandwidthInBurst != burst {
			return fmt.Errorf("the port's inbound bandwidth reads average %d, peak %d, burst %d; want %d, %d, %d",
				got.BandwidthInAverage, got.BandwidthInPeak, got.BandwidthInBurst, average, peak, burst)
		}
		return nil
	})
}

func portFoundByUUID(ctx context.Context, network string) error {
	w := W(ctx)
	return w.withNewPort(network, func(n *libvirt.Network, p *libvirt.NetworkPort) error {
		raw, err := p.GetUUID()
		if err != nil {
			return err
		}
		id, err := p.GetUUIDString()
		if err != nil {
			return err
		}
		if !sameUUIDBytes(raw, id) {
			return fmt.Errorf("the port's UUID bytes %x are not its UUID string %s", raw, id)
		}
		q, err := n.LookupNetworkPortByUUID(raw)
		if err != nil {
			return err
		}
		defer q.Free()
		if got, err := q.GetUUIDString(); err != nil || got != id {
			return fmt.Errorf("looking up port %s by its UUID gives %s (%v)", id, got, err)
		}
		on, err := q.GetNetwork()
		if err != nil {
			return err
		}
		defer on.Free()
		name, err := on.GetName()
		if err != nil || name != w.Name(network) {
			return fmt.Errorf("the port's network is %q (%v), want %q", name, err, w.Name(network))
		}
		netRaw, err := on.GetUUID()
		netID, err2 := on.GetUUIDString()
		if err := errors.Join(err, err2); err != nil || !sameUUIDBytes(netRaw, netID) {
			return fmt.Errorf("the network's UUID bytes %x are not its UUID string %s (%v)", netRaw, netID, err)
		}
		return nil
	})
}

func tryToDefineNetworkUnknownElement(ctx context.Context, logical string) error {
	w := W(ctx)
	x, err := w.networkDoc(logical, "isolated").Marshal()
	if err != nil {
		return err
	}
	if x, err = insertBefore(x, "</network>", "<ovacts-unknown-element/>"); err != nil {
		return err
	}
	r := harness.Resource{Kind: harness.KindNetwork, Name: w.Name(logical), UUID: w.uuidFor("network " + logical)}
	return w.try(w.Tracker.Create(r, func() (string, error) {
		n, err := w.Conn.NetworkDefineXMLFlags(x, libvirt.NETWORK_DEFINE_VALIDATE)
		if err != nil {
			return "", err
		}
		return "", n.Free()
	}))
}

func addNetworkValidated(ctx context.Context, how, logical string) error {
	return W(ctx).addNetworkWith(logical, "isolated", how != "define", true)
}

func tryToDefineFilterUnknownElement(ctx context.Context, logical string) error {
	w := W(ctx)
	x := fmt.Sprintf(`<filter name='%s' chain='root'><uuid>%s</uuid><rule action='accept' direction='out'><all/></rule><ovacts-unknown-element/></filter>`,
		harness.XMLEscape(w.Name(logical)), w.uuidFor("filter "+logical))
	r := harness.Resource{Kind: harness.KindNWFilter, Name: w.Name(logical), UUID: w.uuidFor("filter " + logical)}
	return w.try(w.Tracker.Create(r, func() (string, error) {
		f, err := w.Conn.NWFilterDefineXMLFlags(x, libvirt.NWFILTER_DEFINE_VALIDATE)
		if err != nil {
			return "", err
		}
		return "", f.Free()
	}))
}

func noNetworkFilterDefined(ctx context.Context, name string) error {
	w := W(ctx)
	f, err := w.Conn.LookupNWFilterByName(w.Name(name))
	if err == nil {
		f.Free()
		return fmt.Errorf("network filter %q exists", name)
	}
	if !errors.Is(err, libvirt.ERR_NO_NWFILTER) {
		return fmt.Errorf("want VIR_ERR_NO_NWFILTER: %w", err)
	}
	return nil
}

func bindingsListHoldsNIC(ctx context.Context, dom, filter string) error {
	w := W(ctx)
	dev, err := w.nicDevice(dom)
	if err != nil {
		return err
	}
	all, err := w.Conn.ListAllNWFilterBindings(0)
	if err != nil {
		return err
	}
	// Read from the binding's XML: the Go binding's GetPortDev and
	// GetFilterName free strings the binding owns (docs/findings.md).
	found := false
	for i := range all {
		port, name, e := harness.BindingInfo(&all[i])
		err = errors.Join(err, e)
		if port == dev {
			if name != w.Name(filter) {
				err = errors.Join(err, fmt.Errorf("the binding of %s names filter %q, want %q", dev, name, w.Name(filter)))
			}
			found = true
		}
		all[i].Free()
	}
	if err == nil && !found {
		err = fmt.Errorf("the list of all filter bindings (%d) holds none of %s", len(all), dev)
	}
	return err
}

func secretAnswersUsageAndUUID(ctx context.Context, logical string) error {
	w := W(ctx)
	return w.withSecret(logical, func(s *libvirt.Secret) error {
		t, err := s.GetUsageType()
		if err != nil || t != libvirt.SECRET_USAGE_TYPE_CEPH {
			return fmt.Errorf("the usage type of secret %q is %d (%v), want ceph (%d)", logical, t, err, libvirt.SECRET_USAGE_TYPE_CEPH)
		}
		if id, err := s.GetUsageID(); err != nil || id != w.Name(logical) {
			return fmt.Errorf("the usage ID of secret %q is %q (%v), want %q", logical, id, err, w.Name(logical))
		}
		raw, err := s.GetUUID()
		if err != nil {
			return err
		}
		id, err := s.GetUUIDString()
		if err != nil || !sameUUIDBytes(raw, id) {
			return fmt.Errorf("the secret's UUID bytes %x are not its UUID string %s (%v)", raw, id, err)
		}
		return nil
	})
}

// streamLoopsRoundTrip uploads through virStreamSendAll's callback loop and
// downloads through virStreamRecvAll's.
func streamLoopsRoundTrip(ctx context.Context, kib int, vol, pool string) error {
	w := W(ctx)
	data := make([]byte, kib*1024)
	rand.Read(data)
	return w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
		up, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer up.Free()
		defer abortOnDeadline(ctx, up)()
		if err := v.Upload(up, 0, uint64(len(data)), 0); err != nil {
			return err
		}
		rest := data
		err = up.SendAll(func(_ *libvirt.Stream, n int) ([]byte, error) {
			chunk := rest[:min(n, len(rest))]
			rest = rest[len(chunk):]
			return chunk, nil
		})
		if err == nil {
			err = up.Finish()
		}
		if err != nil {
			up.Abort()
			return fmt.Errorf("sending through the send-all loop: %w", err)
		}
		down, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer down.Free()
		defer abortOnDeadline(ctx, down)()
		if err := v.Download(down, 0, uint64(len(data)), 0); err != nil {
			return err
		}
		var got []byte
		err = down.RecvAll(func(_ *libvirt.Stream, b []byte) (int, error) {
			got = append(got, b...)
			return len(b), nil
		})
		if err == nil {
			err = down.Finish()
		}
		if err != nil {
			down.Abort()
			return fmt.Errorf("receiving through the receive-all loop: %w", err)
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("%d bytes came back through the receive-all loop, not the %d sent", len(got), len(data))
		}
		return nil
	})
}

// ksmPagesToScan is the kernel's own value of what HOST-009 reads through libvirt.
const ksmPagesToScan = "/sys/kernel/mm/ksm/pages_to_scan"

func nodeMemoryParametersAnswer(ctx context.Context) error {
	w := W(ctx)
	p, err := w.Conn.GetMemoryParameters(0)
	if err != nil {
		return err
	}
	if !p.ShmPagesToScanSet || p.ShmPagesToScan == 0 || !p.ShmSleepMillisecsSet {
		return fmt.Errorf("the node's memory parameters give no pages to scan and sleep time: %+v", p)
	}
	if !w.Caps.Has("host") {
		return nil
	}
	kernel, err := os.ReadFile(ksmPagesToScan)
	if err != nil {
		return fmt.Errorf("the kernel's pages to scan: %w", err)
	}
	return samePagesToScan(uint64(p.ShmPagesToScan), string(kernel))
}

// samePagesToScan: the pages to scan libvirt answers are the kernel's
// (ksmPagesToScan's content), on a stack that runs on this host.
func samePagesToScan(libvirtSays uint64, kernel string) error {
	k, err := strconv.ParseUint(strings.TrimSpace(kernel), 10, 64)
	if err != nil {
		return fmt.Errorf("%s holds %q, not a number: %w", ksmPagesToScan, kernel, err)
	}
	if k != libvirtSays {
		return fmt.Errorf("the node's memory parameters say %d pages to scan, the kernel's %s says %d", libvirtSays, ksmPagesToScan, k)
	}
	return nil
}

// sameUUIDBytes says whether an object's raw UUID (virXxxGetUUID) is the one
// its UUID string (virXxxGetUUIDString) spells.
func sameUUIDBytes(raw []byte, s string) bool {
	return len(raw) == 16 && hex.EncodeToString(raw) == strings.ReplaceAll(strings.ToLower(s), "-", "")
}
