package reports

import (
	"net/url"
	"strings"

	"github.com/ovacts/ovacts/internal/safeio"
)

// The metadata of a Cucumber JSON feature, in the shape
// multiple-cucumber-html-reporter reads from each feature ("metadata": its
// browser, device and platform columns), filled with what a run of ovacts is
// about: the stack's libvirt in place of a browser, the stack's host as the
// device, its hypervisor as the platform. The stack's URI (without user or
// password) and the suite's version come along under names of their own,
// which the reporter leaves alone.
type cucumberMetadata struct {
	Browser  cucumberNamed `json:"browser"`
	Device   string        `json:"device"`
	Platform cucumberNamed `json:"platform"`
	Stack    string        `json:"stack,omitempty"`
	Suite    string        `json:"suiteVersion,omitempty"`
}

type cucumberNamed struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// cucumberMetadataOf is the run's metadata, or nil for a report that never
// reached a stack (a setup failure, a rerun with nothing to rerun).
func cucumberMetadataOf(r *Report) *cucumberMetadata {
	host, uri := r.Property("hostname"), r.Property("uri")
	if host == "" && uri == "" {
		return nil
	}
	m := &cucumberMetadata{
		Browser:  cucumberNamed{Name: "libvirt", Version: orUnknown(r.Property("libvirt.daemon"))},
		Device:   orUnknown(safeio.Printable(host)),
		Platform: cucumberNamed{Name: orUnknown(safeio.Printable(r.Property("driver"))), Version: orUnknown(r.Property("hypervisor.version"))},
		Stack:    WithoutCredentials(uri),
		Suite:    r.Property("suite.version"),
	}
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "not known"
	}
	return s
}

// WithoutCredentials is a URI without its user and password, printable; one
// that does not parse keeps its scheme only.
func WithoutCredentials(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "://"); i > 0 {
			return safeio.Printable(raw[:i]) + "://[unparseable]"
		}
		return "[unparseable URI]"
	}
	u.User = nil
	return safeio.Printable(u.String())
}
