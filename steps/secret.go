package steps

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// Secret values never appear in a message: steps compare digests and say only
// whether values match.

func (w *world) secretXML(logical, uuid, visibility string) string {
	return fmt.Sprintf(`<secret ephemeral='no' private='%s'><uuid>%s</uuid><description>ovacts conformance test secret; %s</description><usage type='ceph'><name>%s</name></usage></secret>`,
		map[string]string{"private": "yes", "public": "no"}[visibility], uuid, harness.XMLEscape(w.Owner().Text()), w.Name(logical))
}

// defineSecret records and defines a secret with a UUID of its own.
func (w *world) defineSecret(logical, uuid, visibility string) error {
	return w.Tracker.Create(harness.Resource{Kind: harness.KindSecret, Name: w.Name(logical), UUID: uuid}, func() (string, error) {
		s, err := w.Conn.SecretDefineXML(w.secretXML(logical, uuid, visibility), 0)
		if err != nil {
			return "", err
		}
		return "", s.Free()
	})
}

func (w *world) withSecret(logical string, fn func(s *libvirt.Secret) error) error {
	s, err := w.Conn.LookupSecretByUsage(libvirt.SECRET_USAGE_TYPE_CEPH, w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up secret %q by usage: %w", logical, err)
	}
	defer s.Free()
	return fn(s)
}

// Secrets: define, values, usage lookups, privacy, events.
func registerSecret(r *Registry) {
	r.Step(`^I define a (private|public) secret "([^"]*)"$`, defineASecret)
	r.Step(`^I try to define another secret with the usage of "([^"]*)"$`, tryToDefineAnotherSecretWithThe)
	r.Step(`^I set the value of secret "([^"]*)" to a random value$`, setTheValueOfSecretToA)
	r.Step(`^reading secret "([^"]*)" gives back the value that was set$`, readingSecretGivesBackTheValueThat)
	r.Step(`^I try to read the value of secret "([^"]*)"$`, tryToReadTheValueOfSecret)
	r.Step(`^looking up secret "([^"]*)" by usage and UUID gives the same secret$`, lookingUpSecretByUsageAndUuid)
	r.Step(`^I undefine secret "([^"]*)"$`, undefineSecret)
	r.Step(`^there is no secret "([^"]*)"$`, thereIsNoSecret)
}

func defineASecret(ctx context.Context, vis, name string) error {
	w := W(ctx)
	u := harness.NewUUID()
	if err := w.defineSecret(name, u, vis); err != nil {
		return fmt.Errorf("defining secret %q: %w", name, err)
	}
	w.remember(&w.domainSt().uuids, "secret "+name, u)
	return nil
}

func tryToDefineAnotherSecretWithThe(ctx context.Context, name string) error {
	w := W(ctx)
	return w.try(w.defineSecret(name, harness.NewUUID(), "public"))
}

func setTheValueOfSecretToA(ctx context.Context, name string) error {
	w := W(ctx)
	v := make([]byte, 32)
	rand.Read(v)
	if w.secretSt().sums == nil {
		w.secretSt().sums = map[string][32]byte{}
	}
	w.secretSt().sums[name] = sha256.Sum256(v)
	return w.withSecret(name, func(s *libvirt.Secret) error { return s.SetValue(v, 0) })
}

func readingSecretGivesBackTheValueThat(ctx context.Context, name string) error {
	w := W(ctx)
	return w.withSecret(name, func(s *libvirt.Secret) error {
		v, err := s.GetValue(0)
		if err != nil {
			return err
		}
		if sha256.Sum256(v) != w.secretSt().sums[name] {
			return fmt.Errorf("the value read from secret %q differs from the value set (%d bytes read)", name, len(v))
		}
		return nil
	})
}

func tryToReadTheValueOfSecret(ctx context.Context, name string) error {
	w := W(ctx)
	err := w.withSecret(name, func(s *libvirt.Secret) error {
		_, err := s.GetValue(0) // the value, if any, is dropped unseen
		return err
	})
	return w.try(err)
}

func lookingUpSecretByUsageAndUuid(ctx context.Context, name string) error {
	w := W(ctx)
	return w.withSecret(name, func(s *libvirt.Secret) error {
		u, err := s.GetUUIDString()
		if err != nil {
			return err
		}
		if want := w.domainSt().uuids["secret "+name]; u != want {
			return fmt.Errorf("lookup by usage gave UUID %s, defined as %s", u, want)
		}
		o, err := w.Conn.LookupSecretByUUIDString(u)
		if err != nil {
			return fmt.Errorf("lookup by UUID: %w", err)
		}
		defer o.Free()
		if id, err := o.GetUsageID(); err != nil || id != w.Name(name) {
			return fmt.Errorf("lookup by UUID gave usage %q (%v)", id, err)
		}
		return nil
	})
}

func undefineSecret(ctx context.Context, name string) error {
	return W(ctx).withSecret(name, func(s *libvirt.Secret) error { return s.Undefine() })
}

func thereIsNoSecret(ctx context.Context, name string) error {
	w := W(ctx)
	s, err := w.Conn.LookupSecretByUUIDString(w.domainSt().uuids["secret "+name])
	if err == nil {
		s.Free()
		return fmt.Errorf("secret %q still exists", name)
	}
	if !errors.Is(err, libvirt.ERR_NO_SECRET) {
		return fmt.Errorf("want VIR_ERR_NO_SECRET: %w", err)
	}
	return nil
}
