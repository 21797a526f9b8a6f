package harness

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
)

// A shared fixture is built once for all its scenarios, even when they ask at
// the same time; when it fails, every one of them fails naming it.
func TestSharedFixtureBuiltOnceAndFailureNamed(t *testing.T) {
	for _, fail := range []bool{false, true} {
		sf := &sharedFixtures{byName: map[string]*sharedFixture{}, newFix: func() *Scenario { return &Scenario{fixture: true, prefix: "ovacts-abcdefgh-"} }}
		var mu sync.Mutex
		builds := 0
		build := func(ctx context.Context, fix *Scenario) (any, string, error) {
			mu.Lock()
			builds++
			mu.Unlock()
			if fix.Name("g") != "ovacts-abcdefgh-shared-g" {
				t.Errorf("fixture object name %q", fix.Name("g"))
			}
			if fail {
				return nil, "", errors.New("guest did not boot")
			}
			return 42, "guest shared-g", nil
		}
		var wg sync.WaitGroup
		errs := make([]error, 5)
		scs := make([]*Scenario, 5)
		for i := range scs {
			scs[i] = &Scenario{Pickle: &catalogue.Pickle{Tags: []string{"@shared:guest"}}, fixtures: sf, prefix: "ovacts-abcdefgh-", seq: i + 1}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = scs[i].Shared(context.Background(), "guest", build)
			}()
		}
		wg.Wait()
		if builds != 1 {
			t.Errorf("fail=%v: built %d times", fail, builds)
		}
		for i, err := range errs {
			switch {
			case fail && (err == nil || !strings.Contains(err.Error(), "shared fixture guest") || !strings.Contains(err.Error(), "guest did not boot")):
				t.Errorf("scenario %d: %v, want the fixture named with its cause", i, err)
			case !fail && (err != nil || len(scs[i].shared) != 1):
				t.Errorf("scenario %d: %v, shared %v", i, err, scs[i].shared)
			}
		}
		if got := sf.summary(); len(got) != 1 || !strings.Contains(got[0], "used by 5 scenario(s)") {
			t.Errorf("summary: %v", got)
		}
	}
	undeclared := &Scenario{Pickle: &catalogue.Pickle{}, fixtures: &sharedFixtures{byName: map[string]*sharedFixture{}}}
	if _, err := undeclared.Shared(context.Background(), "guest", nil); err == nil || !strings.Contains(err.Error(), "without declaring @shared:guest") {
		t.Errorf("undeclared use: %v", err)
	}
}
