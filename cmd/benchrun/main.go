// Command benchrun times full-profile runs of the ovacts binary (make
// bench-run): for each URI, the median of N runs of the wall time, the
// probes' time, and the scenario time per area, with the concurrency the
// run used, from each run's JUnit report (through reports.ReadResults).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ovacts/ovacts/reports"
)

type sample struct {
	wall, probe float64
	areas       map[string]float64
	concurrency string
	counts      string
}

func main() {
	bin := flag.String("bin", "bin/ovacts", "the ovacts binary")
	runs := flag.Int("runs", 3, "runs per URI (the median is printed)")
	peer := flag.String("peer-uri", "", "the peer, for the real stack's migrations")
	flag.Parse()
	if flag.NArg() == 0 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "usage: benchrun [-bin B] [-runs N] [-peer-uri P] URI...")
		os.Exit(2)
	}
	for _, uri := range flag.Args() {
		var ss []sample
		for i := 0; i < *runs; i++ {
			s, err := runOnce(*bin, uri, *peer)
			if err != nil {
				fmt.Fprintf(os.Stderr, "benchrun: %s: %v\n", uri, err)
				os.Exit(1)
			}
			fmt.Fprintf(os.Stderr, "  %s run %d: %.1f s\n", uri, i+1, s.wall)
			ss = append(ss, s)
		}
		print(uri, ss)
	}
}

func runOnce(bin, uri, peer string) (sample, error) {
	dir, err := os.MkdirTemp("", "benchrun")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "junit.xml")
	args := []string{"run", "--uri", uri, "--profile", "full", "--junit", report}
	if peer != "" && !strings.HasPrefix(uri, "test:") {
		args = append(args, "--peer-uri", peer)
	}
	cmd := exec.Command(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start).Seconds()
	// Exit 1, 3 or 4 is a verdict (not conformant, incomplete, a rehearsal that
	// would be conformant): the run is timed all the same. A setup error (2)
	// or an interrupt is not a run to time.
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 3 || ee.ExitCode() == reports.ExitRehearsal)) {
		return sample{}, fmt.Errorf("%v\n%s", err, out)
	}
	res, err := reports.ReadResults(report)
	if err != nil {
		return sample{}, err
	}
	s := sample{wall: wall, areas: res.AreaSeconds, concurrency: res.Properties["run.concurrency"]}
	s.probe, _ = strconv.ParseFloat(res.Properties["run.probe.seconds"], 64)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, " scenarios: ") {
			s.counts = l
		}
	}
	return s, nil
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

func print(uri string, ss []sample) {
	pick := func(f func(sample) float64) float64 {
		var xs []float64
		for _, s := range ss {
			xs = append(xs, f(s))
		}
		return median(xs)
	}
	fmt.Printf("%s, full profile, median of %d runs\n", uri, len(ss))
	fmt.Printf("  wall time      %7.2f s\n", pick(func(s sample) float64 { return s.wall }))
	fmt.Printf("  probes         %7.2f s\n", pick(func(s sample) float64 { return s.probe }))
	fmt.Printf("  concurrency    %s\n", ss[0].concurrency)
	fmt.Printf("  outcome        %s\n", ss[len(ss)-1].counts)
	fmt.Println("  scenario time per area (summed over its scenarios, which overlap under concurrency):")
	var areas []string
	for a := range ss[0].areas {
		areas = append(areas, a)
	}
	sort.Slice(areas, func(i, j int) bool { return ss[0].areas[areas[i]] > ss[0].areas[areas[j]] })
	for _, a := range areas {
		fmt.Printf("    %-6s %7.2f s\n", a, pick(func(s sample) float64 { return s.areas[a] }))
	}
}
