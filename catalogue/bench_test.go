package catalogue

import (
	"testing"

	"github.com/ovacts/ovacts/features"
)

// Target (2-core machine): loading and validating the built-in features well
// under 10 ms. Compare runs with benchstat.

func BenchmarkLoadSuite(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := LoadSuite(features.FS, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTagSelection(b *testing.B) {
	suite, err := LoadSuite(features.FS, nil)
	if err != nil {
		b.Fatal(err)
	}
	sel, err := Selection("full", "(@must or @should) and not (@needs:kvm or @needs:domcaps)")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		suite.Select(sel)
	}
}
