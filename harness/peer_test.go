package harness

import "testing"

// The machine type of a run with a peer of another generation: the stack's
// default when the peer has it, else the newest of its family both offer.
func TestPickMachine(t *testing.T) {
	newer := []string{"pc", "pc-i440fx-10.0", "pc-i440fx-9.2", "pc-i440fx-7.2", "pc-i440fx-7.10", "pc-q35-10.0", "pc-q35-7.2", "q35"}
	older := []string{"pc", "pc-i440fx-7.2", "pc-i440fx-7.1", "pc-q35-7.2", "q35", "isapc"}
	for _, c := range []struct {
		def          string
		ours, theirs []string
		want         string
	}{
		{"pc-i440fx-10.0", newer, older, "pc-i440fx-7.2"},
		{"pc-q35-10.0", newer, older, "pc-q35-7.2"},
		{"pc-i440fx-7.2", older, newer, ""},                                                                    // the peer has the default
		{"pc-i440fx-10.0", newer, newer, ""},                                                                   // same generation
		{"pc-i440fx-10.0", newer, []string{"pc-q35-7.2"}, ""},                                                  // nothing of the family in common
		{"virt", []string{"virt"}, []string{"virt-9.0"}, ""},                                                   // an unversioned default
		{"pc-i440fx-10.0", append(newer, "pc-i440fx-7.10"), append(older, "pc-i440fx-7.10"), "pc-i440fx-7.10"}, // 7.10 is newer than 7.2
	} {
		got, note := pickMachine(c.def, c.ours, c.theirs)
		if got != c.want || (got != "") != (note != "") {
			t.Errorf("pickMachine(%s) = %q (%q), want %q", c.def, got, note, c.want)
		}
	}
}

// A stack at a local address whose daemon answers another host name is not
// this host's: its files are elsewhere. A fully qualified answer for the
// same short name is the same host.
func TestOtherHost(t *testing.T) {
	for _, c := range []struct {
		daemon, here string
		other        bool
	}{
		{"vm", "vm", false},
		{"vm.example.com", "vm", false},
		{"VM", "vm.example.com", false},
		{"ovacts-peer", "vm", true},
		{"ovacts-trixie", "vm", true},
	} {
		if why := otherHost(c.daemon, c.here); (why != "") != c.other {
			t.Errorf("otherHost(%q, %q) = %q, want other=%v", c.daemon, c.here, why, c.other)
		}
	}
}
