package secret

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func tryToDefineAnotherSecretWithTheUsageOf(ctx context.Context, name string) error {
	w := W(ctx)
	return w.Try(w.DefineSecret(name, harness.NewUUID(), "public"))
}

func setTheValueOfSecretToARandomValue(ctx context.Context, name string) error {
	w := W(ctx)
	v := make([]byte, 32)
	rand.Read(v)
	if w.secretSt().sums == nil {
		w.secretSt().sums = map[string][32]byte{}
	}
	w.secretSt().sums[name] = sha256.Sum256(v)
	return w.WithSecret(name, func(s *libvirt.Secret) error { return s.SetValue(v, 0) })
}

func readingSecretGivesBackTheValueThatWasSet(ctx context.Context, name string) error {
	w := W(ctx)
	return w.WithSecret(name, func(s *libvirt.Secret) error {
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
	err := w.WithSecret(name, func(s *libvirt.Secret) error {
		_, err := s.GetValue(0) // the value, if any, is dropped unseen
		return err
	})
	return w.Try(err)
}

func lookingUpSecretByUsageAndUUIDGivesTheSameSecret(ctx context.Context, name string) error {
	w := W(ctx)
	return w.WithSecret(name, func(s *libvirt.Secret) error {
		u, err := s.GetUUIDString()
		if err != nil {
			return err
		}
		if want := w.DomainSt().Uuids["secret "+name]; u != want {
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
	return W(ctx).WithSecret(name, func(s *libvirt.Secret) error { return s.Undefine() })
}

func thereIsNoSecret(ctx context.Context, name string) error {
	w := W(ctx)
	s, err := w.Conn.LookupSecretByUUIDString(w.DomainSt().Uuids["secret "+name])
	if err == nil {
		s.Free()
		return fmt.Errorf("secret %q still exists", name)
	}
	if !errors.Is(err, libvirt.ERR_NO_SECRET) {
		return fmt.Errorf("want VIR_ERR_NO_SECRET: %w", err)
	}
	return nil
}

func registerSecret(r *stepkit.Registry) {
	r.Step(`^I try to define another secret with the usage of "([^"]*)"$`, tryToDefineAnotherSecretWithTheUsageOf)
	r.Step(`^I set the value of secret "([^"]*)" to a random value$`, setTheValueOfSecretToARandomValue)
	r.Step(`^reading secret "([^"]*)" gives back the value that was set$`, readingSecretGivesBackTheValueThatWasSet)
	r.Step(`^I try to read the value of secret "([^"]*)"$`, tryToReadTheValueOfSecret)
	r.Step(`^looking up secret "([^"]*)" by usage and UUID gives the same secret$`, lookingUpSecretByUsageAndUUIDGivesTheSameSecret)
	r.Step(`^I undefine secret "([^"]*)"$`, undefineSecret)
	r.Step(`^there is no secret "([^"]*)"$`, thereIsNoSecret)
}
