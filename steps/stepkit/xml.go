package stepkit

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// InsertBefore puts what just before the first marker in x.
func InsertBefore(x, marker, what string) (string, error) {
	i := strings.Index(x, marker)
	if i < 0 {
		return "", fmt.Errorf("the fixture has no %s", marker)
	}
	return x[:i] + what + x[i:], nil
}

// unitBytes is libvirt's memory unit table (formatdomain: "Memory Allocation").
var unitBytes = map[string]uint64{
	"": 1024, "b": 1, "bytes": 1,
	"KB": 1000, "k": 1024, "KiB": 1024,
	"MB": 1000 * 1000, "M": 1 << 20, "MiB": 1 << 20,
	"GB": 1000 * 1000 * 1000, "G": 1 << 30, "GiB": 1 << 30,
	"TB": 1000 * 1000 * 1000 * 1000, "T": 1 << 40, "TiB": 1 << 40,
}

func bytesOf(v uint, unit string) uint64 {
	if m, ok := unitBytes[unit]; ok {
		return uint64(v) * m
	}
	return ^uint64(0) // an unknown unit never equals anything
}

// UserSetOptions compare what a user set with what the stack returned: fields
// the user left unset are the stack's defaults and are ignored, and memory is
// compared in bytes whatever unit each side used.
var UserSetOptions = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool {
		// Only struct fields: filtering slice elements would let cmp's edit
		// script pair elements wrongly.
		if _, field := p.Last().(cmp.StructField); !field {
			return false
		}
		want, _ := p.Last().Values()
		return want.IsValid() && want.IsZero()
	}, cmp.Ignore()),
	cmp.Transformer("bytes", func(m libvirtxml.DomainMemory) uint64 { return bytesOf(m.Value, m.Unit) }),
	cmp.Transformer("bytes", func(m libvirtxml.DomainCurrentMemory) uint64 { return bytesOf(m.Value, m.Unit) }),
	cmp.Transformer("bytes", func(m libvirtxml.DomainMaxMemory) uint64 { return bytesOf(m.Value, m.Unit) }),
}

func ParseDomain(x string) (*libvirtxml.Domain, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("the domain XML does not parse with libvirtxml: %w", err)
	}
	return &d, nil
}

func (w *World) DomainXML(name string, flags libvirt.DomainXMLFlags) (*libvirtxml.Domain, string, error) {
	var x string
	err := w.WithDomain(name, func(d *libvirt.Domain) error {
		var err error
		x, err = d.GetXMLDesc(flags)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	doc, err := ParseDomain(x)
	return doc, x, err
}

func domainHasTheDescription(ctx context.Context, name, text, live string) error {
	w := W(ctx)
	flags := libvirt.DOMAIN_XML_INACTIVE
	if live != "" {
		flags = 0
	}
	doc, _, err := w.DomainXML(name, flags)
	if err != nil {
		return err
	}
	if doc.Description != text {
		return fmt.Errorf("domain %q XML has description %q, want %q", name, doc.Description, text)
	}
	return nil
}

func registerXML(r *Registry) {
	r.Step(`^domain "([^"]*)" has the description "([^"]*)"( in its live XML)?$`, domainHasTheDescription)
}
