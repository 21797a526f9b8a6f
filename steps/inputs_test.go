package steps

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
)

// callStep runs a step text through its definition's wrapper, as godog would,
// with no scenario: a refused argument is refused before anything else.
func callStep(t *testing.T, text string) (*stepkit.Def, error) {
	t.Helper()
	defs, err := Definitions()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		m := d.Re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		fn := reflect.ValueOf(d.Wrapped)
		in := []reflect.Value{reflect.ValueOf(context.Background())}
		for i, a := range m[1:] {
			if fn.Type().In(i+1).Kind() != reflect.String {
				t.Fatalf("%s: argument %d is not a string", d.Pattern, i)
			}
			in = append(in, reflect.ValueOf(a))
		}
		out, _ := fn.Call(in)[0].Interface().(error)
		return d, out
	}
	t.Fatalf("no step definition matches %q", text)
	return nil, nil
}

// The step phrases of a feature file that take a URI, a path or a device
// declare it, and the wrapper refuses what harness.CheckArgument refuses
// (issue 29's attacks), before any handler runs.
func TestStepInputsAreDeclaredAndChecked(t *testing.T) {
	attacks := map[string]harness.ArgKind{
		`I try to connect to "test+ext:///default?command=/tmp/x/script"`:                          harness.ArgURI,
		`I try to connect to "qemu+ssh://h/system?netcat=/tmp/x/nc"`:                               harness.ArgURI,
		`an ext4 disk "d" holding "/../../../../tmp/x/owned", made on the host with mkfs.ext4`:     harness.ArgInnerPath,
		`the host has the device /dev/sda`:                                                         harness.ArgDevice,
		`the host has the device /dev/zero`:                                                        harness.ArgDevice,
		`the host has the device /dev/../dev/kvm`:                                                  harness.ArgDevice,
		`libguestfs writes 4 KiB of random data to "/../x"`:                                        harness.ArgInnerPath,
		`libguestfs makes an ext4 filesystem on volume "v" in pool "p" holding "../x" with "text"`: harness.ArgInnerPath,
		`guest "g" reads "t" from "/../../etc/shadow" on that volume within 5 seconds`:             harness.ArgInnerPath,
	}
	for text, kind := range attacks {
		d, err := callStep(t, text)
		var bad harness.BadArgument
		if !errors.As(err, &bad) {
			t.Errorf("%q: %v, want a refused step argument", text, err)
			continue
		}
		declared := false
		for _, in := range d.Inputs {
			declared = declared || in.Kind == kind
		}
		if !declared {
			t.Errorf("%s does not declare its %s argument", d.Pattern, kind)
		}
	}
	// What the built-in features write passes: the refusal is the attack's.
	for _, text := range []string{`I try to connect to "nosuchdriver:///system"`, `the host has the device /dev/kvm`,
		`an ext4 disk "ro.img" holding "/etc/hostname", made on the host with mkfs.ext4`} {
		if _, err := callStep(t, text); errors.As(err, new(harness.BadArgument)) {
			t.Errorf("%q refused: %v", text, err)
		}
	}
}

// Every step of the built-in features passes its declared checks.
func TestBuiltInStepsPassTheirInputChecks(t *testing.T) {
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := Definitions()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range suite.Pickles {
		for _, text := range p.Steps {
			for _, d := range defs {
				m := d.Re.FindStringSubmatch(text)
				if m == nil {
					continue
				}
				for _, in := range d.Inputs {
					checked++
					if err := harness.CheckArgument(in.Kind, m[1+in.Arg]); err != nil {
						t.Errorf("%s:%d: %q: %v", p.URI, p.Line, text, err)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no built-in step has a declared input: the check checked nothing")
	}
}
