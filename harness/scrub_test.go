package harness_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps"
)

// A step's error is reported and printed as connect errors are: a URI's
// secret quoted in it (libguestfs's "libvirt:<URI>" backend, a peer-to-peer
// migration naming the peer) is redacted, and its control characters are
// escaped, in the outcome, the step result and the progress lines.
func TestStepErrorsAreRedactedAndEscaped(t *testing.T) {
	const secret = "hunter2secret"
	cfg := config(t)
	cfg.URI = "test:///default?token=" + secret
	var progress strings.Builder
	cfg.Progress = &progress
	cfg.FeatureDirs = []string{vendorFeature(t, `Feature: Quotes
  @req:VND-001 @must
  Scenario: A step fails quoting its backend
    Then a self-test step fails quoting the URI
`)}
	cfg.Tags = "@req:VND-001"
	init := func(sc *godog.ScenarioContext) {
		steps.Initialize(sc)
		sc.Step(`^a self-test step fails quoting the URI$`, func(ctx context.Context) error {
			uri := harness.ScenarioFrom(ctx).URI()
			return errors.New("libguestfs: error: could not connect to libvirt (URI = " + uri + "): libvirt:" + uri + "\x1b[2K\r✓ verified")
		})
	}
	rep, err := harness.Run(context.Background(), cfg, features.FS, init)
	if err != nil {
		t.Fatal(err)
	}
	o := rep.Outcomes[0]
	texts := []string{o.Reason, progress.String()}
	for _, st := range o.Steps {
		texts = append(texts, st.Error)
	}
	for _, text := range texts {
		if strings.Contains(text, secret) || strings.ContainsAny(text, "\x1b\r") {
			t.Errorf("a step error keeps a secret or a control character: %q", text)
		}
	}
	if !strings.Contains(o.Reason, `libvirt:test:///default?token=xxxxx\x1b[2K\x0d✓ verified`) {
		t.Errorf("the reason is not the redacted, escaped error: %q", o.Reason)
	}
}
