package stepkit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

// The seven refusal checks (DOM-011, DOM-014, NET-007, STOR-015, XML-006,
// XML-008, ERR-006) take the specific codes, and a generic code only with the
// message of the stack known to answer so: a crashed path's generic error
// fails them, naming the code it saw.
func TestRefusalsTakeOnlyTheirCodes(t *testing.T) {
	for _, c := range []struct {
		req, family string
		code        libvirt.ErrorNumber
		msg         string
		pass        bool
	}{
		{"DOM-011", "a duplicate", libvirt.ERR_DOM_EXIST, "domain exists", true},
		{"DOM-011", "a duplicate", libvirt.ERR_OPERATION_FAILED, "operation failed: domain 'vm' already exists with uuid 6695eb01-f6a4-8304-79aa-97f2502e193f", true},
		{"DOM-011", "a duplicate", libvirt.ERR_OPERATION_FAILED, "operation failed: monitor died", false},
		{"DOM-011", "a duplicate", libvirt.ERR_INTERNAL_ERROR, "internal error: domain 'vm' already exists with uuid 1", false},
		{"NET-007", "a duplicate", libvirt.ERR_OPERATION_FAILED, "operation failed: network 'n' already exists with uuid 1-2", true},
		{"NET-007", "a duplicate", libvirt.ERR_INTERNAL_ERROR, "internal error: Child process (dnsmasq) unexpected exit status 1", false},
		{"NET-007", "a duplicate", libvirt.ERR_OPERATION_INVALID, "network is already active", false},
		{"STOR-015", "a duplicate", libvirt.ERR_STORAGE_VOL_EXIST, "storage volume already exists: 'v'", true},
		{"STOR-015", "a duplicate", libvirt.ERR_OPERATION_FAILED, "operation failed: storage vol already exists", true},
		{"STOR-015", "a duplicate", libvirt.ERR_OPERATION_FAILED, "operation failed: cannot create volume: I/O error", false},
		{"SEC-005", "a duplicate", libvirt.ERR_INTERNAL_ERROR, "internal error: a secret with UUID 1-2 already defined for use with s", true},
		{"DOM-014", "an invalid state", libvirt.ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not running", true},
		{"DOM-014", "an invalid state", libvirt.ERR_INTERNAL_ERROR, "internal error: domain 'vm' not paused", true},
		{"DOM-014", "an invalid state", libvirt.ERR_INTERNAL_ERROR, "internal error: process exited while connecting to monitor", false},
		{"DOM-014", "an invalid state", libvirt.ERR_OPERATION_FAILED, "operation failed: domain is not running", false},
		{"XML-006", "invalid XML", libvirt.ERR_NO_NAME, "missing name information", true},
		{"XML-006", "invalid XML", libvirt.ERR_XML_DETAIL, "bad", true},
		{"XML-006", "invalid XML", libvirt.ERR_INTERNAL_ERROR, "internal error: unexpected domain type", false},
		{"XML-006", "invalid XML", libvirt.ERR_INVALID_ARG, "invalid argument", false},
		{"XML-008", "invalid XML", libvirt.ERR_CONFIG_UNSUPPORTED, "unsupported configuration: invalid domain type nosuchhypervisor", true},
		{"XML-008", "invalid XML", libvirt.ERR_XML_ERROR, "Invalid value for attribute 'type'", true},
		{"XML-008", "invalid XML", libvirt.ERR_OPERATION_FAILED, "operation failed", false},
		{"ERR-006", "an invalid URI", libvirt.ERR_NO_CONNECT, "no connection driver available for nosuchdriver:///system", true},
		{"ERR-006", "an invalid URI", libvirt.ERR_INVALID_ARG, "invalid argument: transport in URL not recognised", true},
		{"ERR-006", "an invalid URI", libvirt.ERR_INTERNAL_ERROR, "internal error: Unable to parse URI ::::", true},
		{"ERR-006", "an invalid URI", libvirt.ERR_INTERNAL_ERROR, "internal error: client socket is closed", false},
		{"ERR-006", "an invalid URI", libvirt.ERR_SYSTEM_ERROR, "Failed to connect socket to '/run/libvirt/virtnosuchdriverd-sock': No such file or directory", true},
		{"ERR-006", "an invalid URI", libvirt.ERR_SYSTEM_ERROR, "Cannot write data: Broken pipe", false},
	} {
		_, w := StepWorld(catalogue.MUST)
		w.Tried, w.LastErr = true, libvirt.Error{Code: c.code, Message: c.msg}
		err := w.expectRefusal(c.family, "")
		switch {
		case c.pass && err != nil:
			t.Errorf("%s: %s %q: %v", c.req, c.family, c.msg, err)
		case !c.pass && err == nil:
			t.Errorf("%s: %s took %d %q", c.req, c.family, c.code, c.msg)
		case !c.pass && !strings.Contains(err.Error(), c.msg):
			t.Errorf("%s: the failure does not name what was seen: %v", c.req, err)
		}
	}
}

// Each check made strict can fail: the broken answer it exists to catch fails it.

func TestRefusalFamilies(t *testing.T) {
	_, w := StepWorld(catalogue.MUST)
	for _, c := range []struct {
		family string
		err    error
		want   string // "" passes; "n/a" is not applicable
	}{
		{"a duplicate", libvirt.Error{Code: libvirt.ERR_OPERATION_FAILED, Message: "domain 'x' is already defined with uuid 1-2"}, ""},
		{"a duplicate", libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported"}, "n/a"},
		{"a duplicate", libvirt.Error{Code: libvirt.ERR_NO_DOMAIN, Message: "no domain with matching name"}, "does not say a duplicate"},
		{"an invalid state", libvirt.Error{Code: libvirt.ERR_RPC, Message: "connection lost"}, "does not say an invalid state"},
		{"invalid XML", libvirt.Error{Code: libvirt.ERR_XML_ERROR, Message: "bad"}, ""},
		{"denied", errors.New("untyped"), "untyped error"},
		{"in use", nil, "the call succeeded"},
	} {
		w.Tried, w.LastErr = true, c.err
		err := w.expectRefusal(c.family, "")
		var skip *harness.SkipError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %v: %v", c.family, c.err, err)
		case c.want == "n/a" && (!errors.As(classify(0, "", context.Background(), err), &skip) || skip.Status != reports.NotApplicable):
			t.Errorf("%s %v: %v, want not applicable", c.family, c.err, err)
		case c.want != "" && c.want != "n/a" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %v: %v, want %q", c.family, c.err, err, c.want)
		}
	}
}

// The checks tightened in earlier rounds (issue 35, Why 6), each fed the
// wrong answer: each fails, naming what it saw.

// MIG-011: the refusal must say "same host", with a code of the family.
func TestSameHostMigrationRefusal(t *testing.T) {
	_, w := StepWorld(catalogue.MUST)
	w.Tried = true
	w.LastErr = libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: Attempt to migrate guest to the same host 6695eb01-f6a4-8304-79aa-97f2502e193f"}
	if err := w.expectRefusal("a migration to the same host", "same host"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []libvirt.Error{
		{Code: libvirt.ERR_OPERATION_INVALID, Message: "Requested operation is not valid: domain is not running"},
		{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'migrate'"},
		{Code: libvirt.ERR_OPERATION_FAILED, Message: "operation failed: migrating to the same host"},
	} {
		w.LastErr = e
		WantErr(t, e.Message, w.expectRefusal("a migration to the same host", "same host"), e.Message)
	}
}
