// The peer stack as the migration steps of several areas reach it.

package stepkit

import (
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// PeerConn is the connection to the peer stack, or not run when the run has
// none (--peer-uri). The peer steps of several areas go through it.
func (w *World) PeerConn() (*libvirt.Connect, error) {
	if w.Peer == nil {
		return nil, harness.NotRun("no peer stack for this run (--peer-uri)")
	}
	return w.Peer, nil
}

func (w *World) WithPeerDomain(logical string, fn func(d *libvirt.Domain) error) error {
	p, err := w.PeerConn()
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
