package steps

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/steps/libguestfs"
	"github.com/ovacts/ovacts/steps/stepkit"
)

// readsOnly lists, per shared fixture, the steps a scenario that shares it
// may take: none changes the fixture, so no scenario can see another's
// changes, whatever order they run in.
var readsOnly = map[string][]*regexp.Regexp{
	stepkit.SharedGuest: {
		regexp.MustCompile(`^a running guest "[^"]*"$`),
		regexp.MustCompile(`^the guest agent of "[^"]*" answers a ping$`),
		regexp.MustCompile(`^the guest info of "[^"]*" reports its operating system and hostname$`),
		regexp.MustCompile(`^the agent of guest "[^"]*" lists interface "[^"]*" with address "[^"]*"$`),
	},
	libguestfs.SharedInspection: {
		regexp.MustCompile(`^a libguestfs appliance launched on a phony Debian [0-9.]+ disk "[^"]*" with hostname "[^"]*" and a blank disk "[^"]*", both read-only$`),
		regexp.MustCompile(`^libguestfs inspects the disks$`),
		regexp.MustCompile(`^the inspection finds one operating system:$`),
		regexp.MustCompile(`^the inspection reports the architecture of the host's /bin/ls$`),
		regexp.MustCompile(`^the inspection finds no operating system on disk "[^"]*" but one on disk "[^"]*"$`),
	},
}

func TestSharedScenariosOnlyRead(t *testing.T) {
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]int{}
	for _, p := range suite.Pickles {
		for _, tag := range p.Tags {
			name, ok := strings.CutPrefix(tag, "@shared:")
			if !ok {
				continue
			}
			allowed, known := readsOnly[name]
			if !known {
				t.Errorf("%s:%d: unknown shared fixture %s", p.URI, p.Line, tag)
				continue
			}
			users[name]++
		step:
			for _, text := range p.Steps {
				for _, re := range allowed {
					if re.MatchString(text) {
						continue step
					}
				}
				t.Errorf("%s:%d: %s shares %s but its step %q is not one that only reads it", p.URI, p.Line, p.Req.ID, tag, text)
			}
		}
	}
	for name := range readsOnly {
		if users[name] < 2 {
			t.Errorf("shared fixture %s is used by %d scenario(s): sharing needs two", name, users[name])
		}
	}
}
