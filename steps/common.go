package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
)

// Steps shared by every area: the verdict on the last call a scenario tried.
func registerCommon(r *Registry) {
	r.Step(`^the call fails with (VIR_ERR_[A-Z_]+(?: or VIR_ERR_[A-Z_]+)*)$`, func(ctx context.Context, codes string) error {
		return W(ctx).expectCode(codes)
	})
	r.Step(`^the call is refused with a typed libvirt error$`, func(ctx context.Context) error {
		w := W(ctx)
		if !w.tried {
			return errors.New("no call was tried before this step")
		}
		if w.lastErr == nil {
			return errors.New("the call succeeded; it should have been refused")
		}
		if _, ok := harness.AsLibvirt(w.lastErr); !ok {
			return fmt.Errorf("the call was refused with an untyped error: %v", w.lastErr)
		}
		return nil
	})
}
