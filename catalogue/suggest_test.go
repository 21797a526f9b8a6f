package catalogue

import "testing"

func TestClosest(t *testing.T) {
	for _, c := range []struct {
		word string
		want string
	}{
		{"@storag", "@storage"}, {"ful", "full"}, {"CORE", "core"}, {"@req:DOM-01", "@req:DOM-001"},
		{"@zzzzzz", ""}, {"x", ""}, {"core", ""},
	} {
		if got := Closest(c.word, []string{"@storage", "full", "core", "@req:DOM-001", "@network"}); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}
