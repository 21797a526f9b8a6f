package site

import "github.com/ovacts/ovacts/reports"

// triage labels the product's non-passing requirements by the baselines of
// its requirement set, when the publication has them (reports.TriageResults).
func (p *Product) triage(opt Options) {
	b := opt.Baselines[p.Set]
	if b == nil {
		return
	}
	t := reports.TriageResults(p.Results(), p.Facts["libvirt.daemon"], b, opt.Findings)
	p.Triage = &t
}

// TriageOf is the triage of one of the product's requirements, or nil.
func (p *Product) TriageOf(id string) *reports.TriageEntry {
	if p.Triage == nil {
		return nil
	}
	for i := range p.Triage.Entries {
		if p.Triage.Entries[i].Req == id {
			return &p.Triage.Entries[i]
		}
	}
	return nil
}
