// Package steps binds the step definitions of the ovacts features to a run.
// steps/ mirrors features/: the steps of the features in features/<area>/
// are the package steps/<area>, and what several areas share (the world,
// the registry, the steps several areas' features take) is steps/stepkit.
// A new area adds its package and a line to areas.
package steps

import (
	"sync"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/steps/admin"
	"github.com/ovacts/ovacts/steps/backup"
	"github.com/ovacts/ovacts/steps/blockjobs"
	"github.com/ovacts/ovacts/steps/connection"
	"github.com/ovacts/ovacts/steps/domain"
	"github.com/ovacts/ovacts/steps/errors"
	"github.com/ovacts/ovacts/steps/events"
	"github.com/ovacts/ovacts/steps/firmware"
	"github.com/ovacts/ovacts/steps/guest"
	"github.com/ovacts/ovacts/steps/host"
	"github.com/ovacts/ovacts/steps/hotplug"
	"github.com/ovacts/ovacts/steps/jobs"
	"github.com/ovacts/ovacts/steps/kvm"
	"github.com/ovacts/ovacts/steps/libguestfs"
	"github.com/ovacts/ovacts/steps/listing"
	"github.com/ovacts/ovacts/steps/migration"
	"github.com/ovacts/ovacts/steps/network"
	"github.com/ovacts/ovacts/steps/nwfilter"
	"github.com/ovacts/ovacts/steps/ovirt"
	"github.com/ovacts/ovacts/steps/save"
	"github.com/ovacts/ovacts/steps/schema"
	"github.com/ovacts/ovacts/steps/secret"
	"github.com/ovacts/ovacts/steps/snapshot"
	"github.com/ovacts/ovacts/steps/stats"
	"github.com/ovacts/ovacts/steps/stepkit"
	"github.com/ovacts/ovacts/steps/storage"
	"github.com/ovacts/ovacts/steps/tuning"
	"github.com/ovacts/ovacts/steps/xml"
)

// areas registers the steps of every area, one line per folder of features/
// (features/sets holds no scenarios), and the steps several areas share.
var areas = []func(*stepkit.Registry){
	stepkit.RegisterShared,
	admin.Register,
	backup.Register,
	blockjobs.Register,
	connection.Register,
	domain.Register,
	errors.Register,
	events.Register,
	firmware.Register,
	guest.Register,
	host.Register,
	hotplug.Register,
	jobs.Register,
	kvm.Register,
	libguestfs.Register,
	listing.Register,
	migration.Register,
	network.Register,
	nwfilter.Register,
	ovirt.Register,
	save.Register,
	schema.Register,
	secret.Register,
	snapshot.Register,
	stats.Register,
	storage.Register,
	tuning.Register,
	xml.Register,
}

var build = sync.OnceValues(func() ([]*stepkit.Def, error) {
	r := &stepkit.Registry{}
	for _, register := range areas {
		register(r)
	}
	return r.Result()
})

// Definitions returns every step definition, or the registration errors.
func Definitions() ([]*stepkit.Def, error) { return build() }

// Locate names the step definition a step's text matches, as its source file
// and line ("steps/domain/domain.go:17"): the Cucumber JSON's match.location.
func Locate(text string) string {
	defs, _ := Definitions()
	for _, d := range defs {
		if d.Re.MatchString(text) {
			return "steps/" + d.Handler
		}
	}
	return ""
}

// Initialize binds the steps to a godog scenario. It is the StepsInit of the run.
func Initialize(sc *godog.ScenarioContext) {
	defs, err := Definitions()
	if err != nil {
		// Registration errors are caught by the lint test; at run time they must
		// still fail loudly rather than leave steps undefined.
		panic(err)
	}
	stepkit.Bind(sc, defs)
}
