package harness

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// Readers of untrusted input never panic and fail with their own error types.

func FuzzRedactURI(f *testing.F) {
	for _, s := range []string{"qemu:///system", "qemu+tcp://u:p@h/system", "qemu+tls://h/system?password=x", "::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := RedactURI(s)
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return
		}
		p, ok := u.User.Password()
		// Only a password that appears nowhere else in the URI (not in the host,
		// path or query) can be told apart in the output.
		if !ok || len(p) < 4 || p == "xxxxx" || strings.Count(s, p) != 1 || strings.Contains(u.Redacted(), p) {
			return
		}
		if strings.Contains(out, p) {
			t.Fatalf("RedactURI(%q) = %q keeps the password", s, out)
		}
		// An error that quotes the URI, as libvirt's messages do, raw and decoded.
		dec, _ := url.PathUnescape(s)
		msg := (&ConnectError{URI: s, Err: errors.New("unable to connect to '" + s + "' (" + dec + "): password " + p)}).Error()
		if strings.Contains(msg, p) {
			t.Fatalf("the connect error for %q keeps the password: %s", s, msg)
		}
	})
}

func FuzzParseOwner(f *testing.F) {
	f.Add(NewOwner("abcd1234", fixedTime).XML())
	f.Add("x; " + NewOwner("abcd1234", fixedTime).Text())
	f.Add("<owner run='")
	f.Fuzz(func(t *testing.T, s string) {
		if o, ok := ParseOwner(s); ok && o.Run == "" {
			t.Fatalf("parsed an owner without a run from %q", s)
		}
	})
}

// FuzzCheckURI: whatever a report or a feature file writes, CheckURI never
// panics, and a URI that Go's own parser reads as the +ext transport or with a
// parameter naming a program is refused (a second reading of the same text,
// so that the two parsers cannot disagree in the attacker's favour).
func FuzzCheckURI(f *testing.F) {
	for _, s := range []string{"test:///default", "test+ext:///default?command=/tmp/x", "qemu+ssh://h/system?netcat=nc;socket=/tmp/s",
		"qemu+ssh://-oProxyCommand=x/system", "qemu:///system?name=test%2Bext:///default%3Fcommand%3D/x", "::::", "qemu+tls://h/system?pkipath=/etc/pki&no_verify=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckURI(s)
		if err != nil && !errors.Is(err, ErrUnsafeURI) {
			t.Fatalf("CheckURI(%q) = %v, not an ErrUnsafeURI", s, err)
		}
		if err != nil {
			return
		}
		u, perr := url.Parse(s)
		if perr != nil {
			return
		}
		for _, tr := range strings.Split(strings.ToLower(u.Scheme), "+")[1:] {
			if tr == "ext" {
				t.Fatalf("CheckURI(%q) lets the ext transport through", s)
			}
		}
		q, _ := url.ParseQuery(u.RawQuery)
		for k := range q {
			switch strings.ToLower(k) {
			case "command", "netcat":
				t.Fatalf("CheckURI(%q) lets %s= through", s, k)
			}
		}
		if strings.Contains(s, "?") && !strings.Contains(s, "#") && CheckURI(s+"&CoMmAnd=/x") == nil {
			t.Fatalf("CheckURI(%q&CoMmAnd=/x) lets command= through", s)
		}
	})
}
