package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/site"
)

// columns checks each bundle of a publication: with its vendor's key a
// column; else, with an independent signer's key (--reproducer-keys), a
// reproduction for the site's trust levels; else unverified (or refused).
// Revoked versions (--revocations) are marked.
func (o *publishCmd) columns(args []string, keys *keyring, now time.Time, opt *site.Options) ([]*reports.MatrixColumn, []string, error) {
	revoked, err := loadRevocations(o.revocations, o.triage.projectKey)
	if err != nil {
		return nil, nil, err
	}
	var cols []*reports.MatrixColumn
	var dropped []string
	for _, a := range args {
		in, err := publishInput(a, keys, now)
		if err != nil {
			return nil, nil, usage("%s", oneLine(err.Error()))
		}
		repro := false
		if !in.Verified && !in.SetExpired && o.reproducers != "" {
			if in, repro, err = reproduction(a, in, o.reproducers, now); err != nil {
				return nil, nil, err
			}
		}
		if !in.Verified && !in.SetExpired && !o.allowUnverified {
			return nil, nil, usage("%s: not verified (%s); give the signer's key, or --allow-unverified to show it as unverified", a, oneLine(in.Problem))
		}
		// Rows are the sets' requirements, titled by the sets: a bundle adds none.
		if n := in.Results.Restrict(opt.Requirements, opt.Aliases); n > 0 {
			dropped = append(dropped, fmt.Sprintf("  %s: %d test case(s) of requirements no requirement set has, dropped\n", a, n))
		}
		if repro {
			dropped = append(dropped, fmt.Sprintf("  %s: a reproduction by %s, not an entry\n", a, in.Reproducer))
			opt.Reproductions = append(opt.Reproductions, reports.NewColumn(in))
			continue
		}
		in.Revoked = revoked.Find(in.Product)
		cols = append(cols, reports.NewColumn(in))
	}
	return cols, dropped, nil
}

// reproduction checks a bundle its vendor's key did not check with each key
// in dir (<signer>.pub, in name order): the first that checks it makes it a
// reproduction by that signer; none leaves it as it was.
func reproduction(path string, in reports.ColumnInput, dir string, now time.Time) (reports.ColumnInput, bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return in, false, usage("--reproducer-keys %s", oneLine(err.Error()))
	}
	names := []string{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".pub") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, n := range names {
		key, err := reports.ReadPublicKey(filepath.Join(dir, n))
		if err != nil {
			return in, false, usage("--reproducer-keys: %s", oneLine(err.Error()))
		}
		b := reports.CheckBundle(reports.VerifyInput{Dir: path, Sets: setInfos(), PublicKey: key, Now: now, Services: knownServices()})
		if b.Intact || onlySetExpired(b) {
			return reports.ColumnInput{Source: path, Product: b.Product, Stack: b.Stack, Results: b.Results, Verified: b.Intact,
				SetExpired: onlySetExpired(b), Draft: b.Draft(), Service: b.Service, Signer: reports.KeyFingerprint(key),
				Reproducer: strings.TrimSuffix(n, ".pub")}, true, nil
		}
	}
	return in, false, nil
}
