package harness

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// libvirt.org/go/libvirt v1.12007.0's NWFilterBinding.GetPortDev and
// GetFilterName free memory libvirt owns; calling either and then Free aborts
// the process (seen on the real stack). Use BindingInfo instead.
func TestNoBrokenBindingGetters(t *testing.T) {
	broken := regexp.MustCompile(`\.(GetPortDev|GetFilterName)\(`)
	root := ".."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "bindings_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if broken.MatchString(line) && !strings.Contains(line, "//") {
				t.Errorf("%s:%d calls a binding getter that double-frees: use harness.BindingInfo", p, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
