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
	r.Step(`^the call fails with (VIR_ERR_[A-Z_]+(?: or VIR_ERR_[A-Z_]+)*)$`, callFailsWith)
	r.Step(`^the call is refused as (`+refusalNames()+`)(?: saying "([^"]*)")?$`, func(ctx context.Context, family, saying string) error {
		return W(ctx).expectRefusal(family, saying)
	})
}

func callFailsWith(ctx context.Context, codes string) error {
	return W(ctx).expectCode(codes)
}

// expectRefusal checks that the last tried call was refused with a code of
// the family (and saying that, when given). A "not supported" answer is no
// refusal: it goes back as it is, and classify fails the step naming it.
func (w *world) expectRefusal(family, saying string) error {
	if !w.tried {
		return errors.New("no call was tried before this step")
	}
	if w.lastErr == nil {
		return fmt.Errorf("the call succeeded; it should have been refused as %s", family)
	}
	if unsupported(w.lastErr) {
		return w.lastErr
	}
	lv, ok := harness.AsLibvirt(w.lastErr)
	if !ok {
		return fmt.Errorf("the call was refused with an untyped error: %v", w.lastErr)
	}
	if err := refusals[family].judge(family, lv); err != nil {
		return err
	}
	if !strings.Contains(lv.Message, saying) {
		return fmt.Errorf("the refusal does not say %q: %w", saying, lv)
	}
	return nil
}
