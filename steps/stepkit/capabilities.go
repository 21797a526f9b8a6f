package stepkit

import (
	"fmt"
	"regexp"

	"libvirt.org/go/libvirtxml"
)

var (
	UUIDPattern     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	HostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

func (w *World) Capabilities() (*libvirtxml.Caps, error) {
	x, err := w.Conn.GetCapabilities()
	if err != nil {
		return nil, err
	}
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("the capabilities XML does not parse with libvirtxml: %w", err)
	}
	return &caps, nil
}

// DomainCaps reads the domain capabilities for a domain type (the probed one when "").
func (w *World) DomainCaps(virttype string) (*libvirtxml.DomainCaps, error) {
	if virttype == "" {
		virttype = w.Caps.DomainType
	}
	x, err := w.Conn.GetDomainCapabilities("", w.Caps.GuestArch, "", virttype, 0)
	if err != nil {
		return nil, err
	}
	var dc libvirtxml.DomainCaps
	if err := dc.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("the domain capabilities XML does not parse with libvirtxml: %w", err)
	}
	return &dc, nil
}
