package apicov

import (
	"encoding/xml"
	"fmt"
	"os"
	"sort"
	"strings"
)

// The model of API coverage: libvirt's public functions, read from its own
// API descriptions, and what one run entered of them, per group. The run
// (harness) counts the entries; this package sums and renders them.

// APIDir is where libvirt-dev installs libvirt's API descriptions.
const APIDir = "/usr/share/libvirt/api"

// APIFiles are the descriptions read, and the API each is.
var APIFiles = []struct{ File, API string }{
	{"libvirt-api.xml", "libvirt"}, {"libvirt-admin-api.xml", "admin"}, {"libvirt-qemu-api.xml", "qemu"}, {"libvirt-lxc-api.xml", "lxc"},
}

// APIFunction is one public function and its group: the header it is
// declared in ("domain", "storage", "host"...), or the API for admin, qemu
// and lxc.
type APIFunction struct {
	Name, Group, API string
}

// LoadAPI reads libvirt's API descriptions in dir.
func LoadAPI(dir string) ([]APIFunction, error) {
	var out []APIFunction
	for _, f := range APIFiles {
		data, err := os.ReadFile(dir + "/" + f.File)
		if err != nil {
			return nil, fmt.Errorf("libvirt's API description (install libvirt-dev): %w", err)
		}
		var doc struct {
			Functions []struct {
				Name string `xml:"name,attr"`
				File string `xml:"file,attr"`
			} `xml:"symbols>function"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f.File, err)
		}
		for _, fn := range doc.Functions {
			g := f.API
			if f.API == "libvirt" {
				g = strings.TrimPrefix(fn.File, "libvirt-")
			}
			out = append(out, APIFunction{Name: fn.Name, Group: g, API: f.API})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no functions in %s", dir)
	}
	return out, nil
}

// APIGroup is one group's coverage.
type APIGroup struct {
	Group       string   `json:"group"`
	API         string   `json:"api"`
	Functions   int      `json:"functions"`
	Scenarios   int      `json:"enteredByScenarios"`
	HarnessOnly []string `json:"enteredByTheHarnessOnly"`
	NotEntered  []string `json:"notEntered"`
}

// APICoverageReport is what --api-coverage writes.
type APICoverageReport struct {
	URI       string     `json:"uri"`
	Libvirt   string     `json:"libvirt"`
	Profile   string     `json:"profile"`
	Tags      string     `json:"tags,omitempty"`
	Functions int        `json:"functions"` // libvirt's public API (libvirt-api.xml)
	Scenarios int        `json:"enteredByScenarios"`
	Percent   float64    `json:"percent"`
	Groups    []APIGroup `json:"groups"`
	Calls     int        `json:"scenarioCalls"`
}

// CoverageOf sums the entries per group. The headline figure is libvirt's
// main API; admin, QEMU and LXC are groups of their own.
func CoverageOf(api []APIFunction, scenario, harness map[string]int) APICoverageReport {
	var rep APICoverageReport
	byGroup := map[string]*APIGroup{}
	var order []string
	for _, f := range api {
		g := byGroup[f.Group]
		if g == nil {
			g = &APIGroup{Group: f.Group, API: f.API, HarnessOnly: []string{}, NotEntered: []string{}}
			byGroup[f.Group] = g
			order = append(order, f.Group)
		}
		g.Functions++
		entered := scenario[f.Name] > 0
		switch {
		case entered:
			g.Scenarios++
			rep.Calls += scenario[f.Name]
		case harness[f.Name] > 0:
			g.HarnessOnly = append(g.HarnessOnly, f.Name)
		default:
			g.NotEntered = append(g.NotEntered, f.Name)
		}
		if f.API == "libvirt" {
			rep.Functions++
			if entered {
				rep.Scenarios++
			}
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := byGroup[order[i]], byGroup[order[j]]
		if (a.API == "libvirt") != (b.API == "libvirt") {
			return a.API == "libvirt"
		}
		return a.Group < b.Group
	})
	for _, g := range order {
		sort.Strings(byGroup[g].HarnessOnly)
		sort.Strings(byGroup[g].NotEntered)
		rep.Groups = append(rep.Groups, *byGroup[g])
	}
	if rep.Functions > 0 {
		rep.Percent = float64(int(1000*float64(rep.Scenarios)/float64(rep.Functions)+0.5)) / 10
	}
	return rep
}
