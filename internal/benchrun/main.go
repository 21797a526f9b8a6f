// Command benchrun times full-profile runs of the ovacts binary (make
// bench-run): for each URI, the median of N runs of the wall time, the
// probes' time, and the scenario time per area, with the concurrency the
// run used. It reads each run's JUnit report, never its progress text.
package main

import (
	"encoding/xml"
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
)

type junit struct {
	Suites []struct {
		Props []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Class string  `xml:"classname,attr"`
			Time  float64 `xml:"time,attr"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

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
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() != 2) { // a verdict is fine; a setup error is not
		return sample{}, fmt.Errorf("%v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		return sample{}, err
	}
	var j junit
	if err := xml.Unmarshal(b, &j); err != nil {
		return sample{}, fmt.Errorf("%s: %w", report, err)
	}
	s := sample{wall: wall, areas: map[string]float64{}}
	for _, su := range j.Suites {
		for _, p := range su.Props {
			switch p.Name {
			case "run.probe.seconds":
				s.probe, _ = strconv.ParseFloat(p.Value, 64)
			case "run.concurrency":
				s.concurrency = p.Value
			}
		}
		for _, c := range su.Cases {
			area, _, _ := strings.Cut(c.Class, ".")
			s.areas[area] += c.Time
		}
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) > 0 {
		for _, l := range lines {
			if strings.Contains(l, " scenarios: ") {
				s.counts = l
			}
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
