package reports

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// Target: a 1,000-scenario JUnit report in well under 10 ms.
func BenchmarkWriteJUnit1000(b *testing.B) {
	r := &Report{Suite: "ovacts", Started: time.Unix(0, 0), Properties: sample().Properties}
	base := sample().Outcomes
	for i := 0; i < 1000; i++ {
		o := base[i%len(base)]
		o.FeatureURI = fmt.Sprintf("features/a%d/x.feature", i%20)
		o.Line = i
		r.Outcomes = append(r.Outcomes, o)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteJUnit(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
