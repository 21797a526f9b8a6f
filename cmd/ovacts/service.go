package main

import (
	"fmt"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/reports"
)

// knownServices are the service releases built into this binary, by set
// and number.
func knownServices() []reports.ServiceRelease {
	rels, err := reports.LoadServiceReleases(features.Services, "services")
	if err != nil {
		panic("the built-in service releases: " + err.Error()) // checked by TestBuiltInServiceReleases
	}
	return rels
}

// runService is the service release a run certifies against: the newest of
// its requirement set, when the set is released and the suite holds it
// unchanged (nil otherwise).
func runService(suite *catalogue.Suite, rels []reports.ServiceRelease) *reports.ServiceRelease {
	set, digest := suite.RunSet()
	if set == nil || set.Status != catalogue.SetReleased || digest != set.Digest {
		return nil
	}
	return reports.NewestService(rels, set.Name, set.Digest)
}

// pickService sets the service release the run certifies against and says
// which exclusions apply; a suite that does not load is harness.Run's to
// report.
func (o *runCmd) pickService() {
	suite, err := catalogue.LoadSuite(features.FS, o.cfg.FeatureDirs)
	if err != nil {
		return
	}
	o.cfg.Service = runService(suite, knownServices())
	if o.cfg.Service != nil {
		fmt.Fprintf(o.progress, "requirement set %s, service release %s:\n", o.cfg.Service.Set, o.cfg.Service.Name)
		for _, line := range o.cfg.Service.Describe() {
			fmt.Fprintf(o.progress, "  %s\n", line)
		}
	}
}
