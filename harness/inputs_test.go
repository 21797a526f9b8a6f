package harness

import (
	"errors"
	"testing"
)

// CheckURI refuses every URI of a file or a step that would run a program,
// reach another socket or read a host file, and lets the ordinary ones pass.
func TestCheckURI(t *testing.T) {
	refused := []string{
		"test+ext:///default?command=/tmp/x/script",
		"qemu+EXT:///system?command=/bin/true",
		"qemu+ssh://host/system?command=/tmp/evil",
		"qemu+ssh://host/system?CoMmAnd=/tmp/evil",
		"qemu+ssh://host/system?no_verify=1;command=/tmp/evil",
		"qemu+ssh://host/system?%63ommand=/tmp/evil",
		"qemu+ssh://host/system?netcat=/tmp/nc",
		"qemu+ssh://host/system?proxy=netcat",
		"qemu+ssh://host/system?proxy=native",
		"qemu+unix:///system?socket=/tmp/fake.sock",
		"qemu+unix:///system?socket=/run/libvirt/../../tmp/s",
		"qemu+ssh://-oProxyCommand=touch%20x/system",
		"qemu+ssh://-l@host/system",
		"qemu:///system?name=test%2Bext:///default%3Fcommand%3D/x",
		"test:///etc/shadow",
		"test:///tmp/x.xml",
		"qemu:///system\n",
	}
	for _, u := range refused {
		if err := CheckURI(u); !errors.Is(err, ErrUnsafeURI) {
			t.Errorf("CheckURI(%q) = %v, want ErrUnsafeURI", u, err)
		}
	}
	allowed := []string{
		"test:///default", "qemu:///system", "qemu:///session", "qemu+tcp://10.0.0.2/system",
		"qemu+tls://h.example/system?pkipath=/etc/pki/libvirt&no_verify=1", "qemu+ssh://root@h/system?keyfile=/root/.ssh/id&no_tty=1",
		"qemu+ssh://h/system?proxy=auto", "qemu+unix:///system?socket=/run/libvirt/virtqemud-sock",
		"qemu+unix:///session?socket=/run/user/1000/libvirt/virtqemud-sock",
		"nosuchdriver:///system", "qemu+nosuchtransport://localhost/system", "::::",
	}
	for _, u := range allowed {
		if err := CheckURI(u); err != nil {
			t.Errorf("CheckURI(%q) = %v, want nil", u, err)
		}
	}
}

// A path argument stays inside the scenario's tree; a device argument is one
// of the checked devices.
func TestCheckArgument(t *testing.T) {
	for _, c := range []struct {
		kind ArgKind
		v    string
		ok   bool
	}{
		{ArgInnerPath, "/etc/hostname", true},
		{ArgInnerPath, "payload.bin", true},
		{ArgInnerPath, "/../../../../tmp/x/owned", false},
		{ArgInnerPath, "a/../../b", false},
		{ArgInnerPath, "/", false},
		{ArgInnerPath, "//etc/passwd", false},
		{ArgInnerPath, "a\x1bb", false},
		{ArgDevice, "/dev/kvm", true},
		{ArgDevice, "/dev/net/tun", true},
		{ArgDevice, "/dev/sda", false},
		{ArgDevice, "/dev/zero", false},
		{ArgDevice, "/dev/../dev/kvm", false},
		{ArgURI, "test:///default", true},
		{ArgURI, "test+ext:///default?command=/x", false},
		{"unknown", "x", false},
	} {
		err := CheckArgument(c.kind, c.v)
		if (err == nil) != c.ok {
			t.Errorf("CheckArgument(%s, %q) = %v, want ok=%v", c.kind, c.v, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrUnsafeArgument) && !errors.Is(err, ErrUnsafeURI) {
			t.Errorf("CheckArgument(%s, %q) = %v: not a typed error", c.kind, c.v, err)
		}
	}
}
