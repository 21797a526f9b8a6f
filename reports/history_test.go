package reports

import (
	"bytes"
	"testing"
	"time"
)

// A run's JUnit report, in each dialect, gives the next run each scenario's
// duration under the key the scenario has when it is planned.
func TestHistoryFromJUnit(t *testing.T) {
	r := sample()
	for _, f := range JUnitFormats {
		var b bytes.Buffer
		if err := WriteJUnitFormat(&b, r, f); err != nil {
			t.Fatal(err)
		}
		h, err := ReadHistory(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		lifecycle := r.Outcomes[0]
		if got := h[HistoryKey(lifecycle)]; got != 410*time.Millisecond {
			t.Errorf("%s: DOM-001 took %s, the history says %s", f, lifecycle.Duration, got)
		}
		// Two examples of one outline share a name: their mean.
		if got := h[HistoryKey(r.Outcomes[1])]; got != 15*time.Millisecond {
			t.Errorf("%s: DOM-014's examples took 20ms and 10ms, the history says %s", f, got)
		}
		if _, ok := h[HistoryKey(r.Outcomes[3])]; ok {
			t.Errorf("%s: a scenario decided before it ran is in the history", f)
		}
	}
	if _, err := ReadHistory([]byte("<testsuites><testcase")); err == nil {
		t.Error("a truncated report read as a history")
	}
}

// Whatever the latest run's junit.xml holds, its history is durations a run
// can have.
func FuzzReadHistory(f *testing.F) {
	var b bytes.Buffer
	WriteJUnitFormat(&b, sample(), JUnitDefault)
	f.Add(b.Bytes())
	f.Add([]byte(`<testsuites><testsuite><testcase name="A-001 [MAY] a #3" classname="A.a" time="1e308"></testcase><testcase name="x" time="NaN"/></testsuite></testsuites>`))
	f.Add([]byte(`<testcase name="y" time="-1"><skipped/></testcase><testcase name="y" time="2.5">`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHistory(data)
		if err != nil {
			return
		}
		for k, d := range h {
			if d < 0 || d >= maxHistory*time.Second {
				t.Fatalf("%q took %s", k, d)
			}
		}
	})
}
