package harness_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps"
)

// Target (2-core machine): a whole core-profile run on test:///default,
// probe and sweep included, under 200 ms: the harness's own overhead, since
// the test driver answers in microseconds. (The full profile holds deliberate waits, such as
// EVT-004's second of listening for silence.) Compare runs with benchstat.

func BenchmarkCoreRunOnTestDriver(b *testing.B) {
	cfg := harness.Config{URI: "test:///default", Profile: "core", Concurrency: 1, StepTimeout: 10 * time.Second,
		FailOn: catalogue.MUST, Progress: io.Discard, Registry: harness.RunRegistry{Dir: b.TempDir()}}
	for i := 0; i < b.N; i++ {
		rep, err := harness.Run(context.Background(), cfg, features.FS, steps.Initialize)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(rep.Outcomes)), "scenarios/op")
	}
}
