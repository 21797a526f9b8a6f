package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ovacts/ovacts/harness"
)

// Steps shared by every area: the verdict on the last call a scenario tried.
func registerCommon(r *Registry) {
	r.Step(`^the call fails with (VIR_ERR_[A-Z_]+(?: or VIR_ERR_[A-Z_]+)*)$`, func(ctx context.Context, codes string) error {
		return W(ctx).expectCode(codes)
	})
	r.Step(`^the call is refused with a typed libvirt error(?: saying "([^"]*)")?$`, func(ctx context.Context, saying string) error {
		w := W(ctx)
		if !w.tried {
			return errors.New("no call was tried before this step")
		}
		if w.lastErr == nil {
			return errors.New("the call succeeded; it should have been refused")
		}
		lv, ok := harness.AsLibvirt(w.lastErr)
		if !ok {
			return fmt.Errorf("the call was refused with an untyped error: %v", w.lastErr)
		}
		if !strings.Contains(lv.Message, saying) {
			return fmt.Errorf("the refusal does not say %q: %w", saying, lv)
		}
		return nil
	})
}
