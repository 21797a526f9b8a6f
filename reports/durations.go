package reports

import "sort"

// Slowest are the n outcomes that took longest, slowest first (ties in
// report order).
func Slowest(outs []Outcome, n int) []Outcome {
	s := append([]Outcome(nil), outs...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Duration > s[j].Duration })
	return s[:min(n, len(s))]
}
