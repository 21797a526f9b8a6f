// Command gen writes docs/api-coverage.json and docs/api-coverage.md from
// the reports of ovacts run --api-coverage (make coverage): each argument is
// key=title=command=report.json.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/ovacts/ovacts/internal/apicov"
)

func main() {
	out := flag.String("o", "docs/api-coverage", "output path without extension (.json and .md are written)")
	flag.Parse()
	var d apicov.Doc
	for _, a := range flag.Args() {
		parts := strings.SplitN(a, "=", 4)
		if len(parts) != 4 {
			fail(fmt.Errorf("%q is not key=title=command=report.json", a))
		}
		data, err := os.ReadFile(parts[3])
		if err != nil {
			fail(err)
		}
		r := apicov.Run{Key: parts[0], Title: parts[1], Command: parts[2]}
		if err := json.Unmarshal(data, &r.APICoverageReport); err != nil {
			fail(fmt.Errorf("%s: %w", parts[3], err))
		}
		d.Runs = append(d.Runs, r)
	}
	if err := os.WriteFile(*out+".json", d.JSON(), 0o644); err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out+".md", d.Markdown(), 0o644); err != nil {
		fail(err)
	}
	for _, r := range d.Runs {
		fmt.Printf("%s: %d of %d public functions entered by scenarios (%.1f%%)\n", r.Title, r.Scenarios, r.Functions, r.Percent)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "apicov: %v\n", err)
	os.Exit(2)
}
