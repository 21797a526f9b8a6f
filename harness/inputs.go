package harness

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/internal/safeio"
)

// Inputs from outside (an earlier report, a bundle, a vendor's feature file)
// are data: the URIs, paths and devices they name are checked here, in one
// place, before anything uses them. The person running ovacts may still give
// any URI on the command line; only what comes from a file is held to this.

// ErrUnsafeURI: a URI from a file or a step argument that would have libvirt
// run a program, reach a socket of someone else's, or read a host file.
var ErrUnsafeURI = errors.New("a URI that is not the operator's may not run a program or reach outside libvirt")

// ErrUnsafeArgument: a step argument that would leave the scenario's own
// directory or touch a device the suite does not check.
var ErrUnsafeArgument = errors.New("not allowed in a feature file")

// libvirtSocketDirs are where libvirt's own daemons listen (system, and a
// user's session under /run/user/<uid>/libvirt).
var libvirtSocketDirs = []string{"/run/libvirt/", "/var/run/libvirt/"}

var sessionSocketDir = regexp.MustCompile(`^/run/user/[0-9]+/libvirt/`)

// CheckURI decides whether a URI that did not come from the operator may be
// opened. It reads the URI as libvirt's remote driver does (the transport
// after the scheme's '+', parameters split at '&' and ';', names compared
// without case, values unescaped once) and refuses:
//   - the ext transport, which runs the program named by command=;
//   - the command= and netcat= parameters (the ssh binary, the remote nc);
//   - proxy= other than auto (it picks a program to run on the far side);
//   - socket= outside libvirt's own socket directories;
//   - a host or user name starting with '-' (an option to ssh);
//   - a name= (the URI the far daemon opens) that is itself refused;
//   - the test driver with a file of the host's (test:///default is built in).
func CheckURI(raw string) error {
	return checkURI(raw, 0)
}

func checkURI(raw string, depth int) error {
	if depth > 3 {
		return fmt.Errorf("%w: URIs nested in name= too deep", ErrUnsafeURI)
	}
	if strings.ContainsAny(raw, "\x00\n\r") {
		return fmt.Errorf("%w: a control character in the URI", ErrUnsafeURI)
	}
	scheme, rest, hasScheme := strings.Cut(raw, ":")
	if hasScheme {
		parts := strings.Split(strings.ToLower(strings.TrimSpace(scheme)), "+")
		for _, tr := range parts[1:] {
			if strings.TrimSpace(tr) == "ext" {
				return fmt.Errorf("%w: the +ext transport runs the program its command= names", ErrUnsafeURI)
			}
		}
		if err := checkAuthority(rest); err != nil {
			return err
		}
		if parts[0] == "test" && !testDefault(rest) {
			return fmt.Errorf("%w: the test driver reads the host file it names; only test:///default", ErrUnsafeURI)
		}
	}
	_, query, _ := strings.Cut(raw, "?")
	query, _, _ = strings.Cut(query, "#")
	for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		name, value, _ := strings.Cut(kv, "=")
		name = strings.ToLower(strings.TrimSpace(unescape(name)))
		value = unescape(value)
		if err := checkParam(name, value, depth); err != nil {
			return err
		}
	}
	return nil
}

// checkParam holds one query parameter to CheckURI's rules.
func checkParam(name, value string, depth int) error {
	switch name {
	case "command", "netcat":
		return fmt.Errorf("%w: %s= names a program to run", ErrUnsafeURI, name)
	case "proxy":
		if strings.ToLower(strings.TrimSpace(value)) != "auto" {
			return fmt.Errorf("%w: proxy=%s picks a program to run on the far side", ErrUnsafeURI, safeio.Printable(value))
		}
	case "socket":
		if !libvirtSocket(value) {
			return fmt.Errorf("%w: socket=%s is not in libvirt's socket directories (%s)", ErrUnsafeURI,
				safeio.Printable(value), strings.Join(append(slices.Clone(libvirtSocketDirs), "/run/user/<uid>/libvirt/"), ", "))
		}
	case "name":
		return checkURI(value, depth+1)
	}
	return nil
}

// checkAuthority refuses a user or host that ssh would read as an option.
func checkAuthority(rest string) error {
	auth, ok := strings.CutPrefix(rest, "//")
	if !ok {
		return nil
	}
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	auth = unescape(auth)
	user, host, hasUser := strings.Cut(auth, "@")
	if !hasUser {
		host, user = user, ""
	}
	if strings.HasPrefix(strings.TrimSpace(user), "-") || strings.HasPrefix(strings.TrimSpace(host), "-") {
		return fmt.Errorf("%w: a user or host starting with '-' is an option to ssh", ErrUnsafeURI)
	}
	return nil
}

// testDefault: the rest of a test: URI names the built-in default host.
func testDefault(rest string) bool {
	p, _, _ := strings.Cut(rest, "?")
	p, _, _ = strings.Cut(p, "#")
	p = strings.TrimPrefix(p, "//")
	if i := strings.Index(p, "/"); i >= 0 {
		p = p[i:]
	} else {
		p = ""
	}
	return p == "" || p == "/" || unescape(p) == "/default"
}

// libvirtSocket: a clean absolute path inside libvirt's socket directories.
func libvirtSocket(p string) bool {
	if p == "" || path.Clean(p) != p || !strings.HasPrefix(p, "/") {
		return false
	}
	for _, d := range libvirtSocketDirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return sessionSocketDir.MatchString(p)
}

// unescape decodes %XX once, as libvirt does; an undecodable text stays as it is.
func unescape(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// ArgKind says what a step argument becomes, for the ones that become more
// than a name or a value: the step phrases that take them declare it.
type ArgKind string

const (
	ArgURI       ArgKind = "URI"              // a URI libvirt opens (CheckURI)
	ArgInnerPath ArgKind = "path in the tree" // a path inside a directory or image of the scenario's
	ArgDevice    ArgKind = "device"           // a device node the host is checked for
)

// CheckedDevices are the device nodes a step may look at, read-only: the ones
// a KVM stack needs.
var CheckedDevices = []string{"/dev/kvm", "/dev/vhost-net", "/dev/vhost-vsock", "/dev/net/tun", "/dev/vfio/vfio"}

// MaxInnerPath bounds a path inside a scenario's tree.
const MaxInnerPath = 1024

// CheckArgument is the one check of a step argument of a declared kind.
func CheckArgument(kind ArgKind, v string) error {
	switch kind {
	case ArgURI:
		return CheckURI(v)
	case ArgDevice:
		if !slices.Contains(CheckedDevices, v) {
			return fmt.Errorf("%w: %s is not a device the suite checks (%s)", ErrUnsafeArgument, safeio.Printable(v), strings.Join(CheckedDevices, ", "))
		}
		return nil
	case ArgInnerPath:
		return checkInnerPath(v)
	}
	return fmt.Errorf("%w: unknown argument kind %q", ErrUnsafeArgument, kind)
}

// checkInnerPath: a path read from the root of the scenario's own tree,
// "/etc/hostname" or "etc/hostname", with no way out of it.
func checkInnerPath(v string) error {
	rel := strings.TrimPrefix(v, "/")
	switch {
	case rel == "":
		return fmt.Errorf("%w: an empty path", ErrUnsafeArgument)
	case len(v) > MaxInnerPath:
		return fmt.Errorf("%w: a path of %d bytes, more than the %d allowed", ErrUnsafeArgument, len(v), MaxInnerPath)
	case strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Errorf("%w: a control character in the path %s", ErrUnsafeArgument, safeio.Printable(v))
	case strings.HasPrefix(rel, "/") || strings.Contains(rel, "//"):
		return fmt.Errorf("%w: the path %s is not clean", ErrUnsafeArgument, safeio.Printable(v))
	}
	for _, part := range strings.Split(rel, "/") {
		if part == ".." || part == "." {
			return fmt.Errorf("%w: the path %s steps out with %q", ErrUnsafeArgument, safeio.Printable(v), part)
		}
	}
	return nil
}
