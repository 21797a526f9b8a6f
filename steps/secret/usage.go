package secret

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func secretAnswersUsageAndUUID(ctx context.Context, logical string) error {
	w := W(ctx)
	return w.WithSecret(logical, func(s *libvirt.Secret) error {
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
		if err != nil || !stepkit.SameUUIDBytes(raw, id) {
			return fmt.Errorf("the secret's UUID bytes %x are not its UUID string %s (%v)", raw, id, err)
		}
		return nil
	})
}

func registerUsage(r *stepkit.Registry) {
	r.Step(`^secret "([^"]*)" answers its usage type, its usage ID and its UUID as bytes$`, secretAnswersUsageAndUUID)
}
