package harness

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
)

// Readers of untrusted input never panic and fail with their own error types.

func FuzzParseTagExpr(f *testing.F) {
	for _, s := range []string{"@a", "@a and not (@b or @c)", "@a && ~@b, @c", "(", "not", "@req:DOM-001 or @must"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseTagExpr(s)
		if err != nil {
			if !strings.Contains(err.Error(), "tag expression") {
				t.Fatalf("error %q does not say it is about a tag expression", err)
			}
			return
		}
		e.Match([]string{"@a", "@b"})
		if filter, any, err := e.GodogFilter(); err == nil && any && filter != "" {
			// The rendering must itself be a valid expression in the legacy syntax.
			if _, err := ParseTagExpr(filter); err != nil {
				t.Fatalf("%q rendered as %q, which does not parse: %v", s, filter, err)
			}
		}
	})
}

func FuzzLoadFeature(f *testing.F) {
	f.Add([]byte("Feature: F\n  @req:A-001 @must\n  Scenario: S\n    Given x\n"))
	f.Add([]byte("Feature: F\n  @req:A-001 @must\n  Scenario Outline: S <x>\n    Given <x>\n    Examples:\n      | x |\n      | 1 |\n"))
	f.Add([]byte("Feature:\n  Rule: R\n    @req:A-001 @may\n    Scenario: S\n      Given \"\"\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := LoadSuite(fstest.MapFS{"a/x.feature": {Data: b}}, nil)
		var le *LoadError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("a bad feature gave %T, not a LoadError: %v", err, err)
		}
	})
}

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
