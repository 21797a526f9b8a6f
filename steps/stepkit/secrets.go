package stepkit

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// Secret values never appear in a message: steps compare digests and say only
// whether values match.

func (w *World) secretXML(logical, uuid, visibility string) string {
	return fmt.Sprintf(`<secret ephemeral='no' private='%s'><uuid>%s</uuid><description>ovacts conformance test secret; %s</description><usage type='ceph'><name>%s</name></usage></secret>`,
		map[string]string{"private": "yes", "public": "no"}[visibility], uuid, harness.XMLEscape(w.Owner().Text()), w.Name(logical))
}

// DefineSecret records and defines a secret with a UUID of its own.
func (w *World) DefineSecret(logical, uuid, visibility string) error {
	return w.Tracker.Create(harness.Resource{Kind: harness.KindSecret, Name: w.Name(logical), UUID: uuid}, func() (string, error) {
		s, err := w.Conn.SecretDefineXML(w.secretXML(logical, uuid, visibility), 0)
		if err != nil {
			return "", err
		}
		return "", s.Free()
	})
}

func (w *World) WithSecret(logical string, fn func(s *libvirt.Secret) error) error {
	s, err := w.Conn.LookupSecretByUsage(libvirt.SECRET_USAGE_TYPE_CEPH, w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up secret %q by usage: %w", logical, err)
	}
	defer s.Free()
	return fn(s)
}

func defineASecret(ctx context.Context, vis, name string) error {
	w := W(ctx)
	u := harness.NewUUID()
	if err := w.DefineSecret(name, u, vis); err != nil {
		return fmt.Errorf("defining secret %q: %w", name, err)
	}
	w.Remember(&w.DomainSt().Uuids, "secret "+name, u)
	return nil
}

func registerSecrets(r *Registry) {
	r.Step(`^I define a (private|public) secret "([^"]*)"$`, defineASecret)
}
