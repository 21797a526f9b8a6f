package harness

//go:generate bash ../scripts/gen-errcodes.sh

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

// ErrorCodeName returns libvirt's C name for an error number, e.g. "VIR_ERR_NO_DOMAIN".
func ErrorCodeName(n libvirt.ErrorNumber) string {
	if s, ok := errorCodeNames[n]; ok {
		return s
	}
	return fmt.Sprintf("VIR_ERR_%d", int(n))
}

// ErrorCodeByName resolves "VIR_ERR_NO_DOMAIN" (or "NO_DOMAIN") to its number.
func ErrorCodeByName(name string) (libvirt.ErrorNumber, bool) {
	want := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(want, "VIR_ERR_") {
		want = "VIR_ERR_" + want
	}
	for n, s := range errorCodeNames {
		if s == want {
			return n, true
		}
	}
	return 0, false
}

// AsLibvirt extracts a libvirt.Error from anywhere in err's chain.
func AsLibvirt(err error) (libvirt.Error, bool) {
	var lv libvirt.Error
	if errors.As(err, &lv) {
		return lv, true
	}
	return libvirt.Error{}, false
}

// DescribeError renders an error for a report: the text of the whole chain, with
// a libvirt.Error in it shown as its code name and message ("VIR_ERR_NO_DOMAIN: ...").
func DescribeError(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if lv, ok := AsLibvirt(err); ok {
		s = strings.Replace(s, lv.Error(), ErrorCodeName(lv.Code)+": "+lv.Message, 1)
	}
	return s
}

// SkipError ends a scenario without a pass or a failure: not applicable (the
// stack declares it lacks the feature, with the evidence) or not run (an
// input of the run was missing, or the run was interrupted). It wraps
// godog.ErrSkip.
type SkipError struct {
	Status     reports.Status // NotApplicable or NotRun
	Capability string         // the need that decided it, if one did
	Reason     string
}

func (e *SkipError) Error() string { return fmt.Sprintf("%s: %s", e.Status, e.Reason) }

// Unwrap lets godog see the skip.
func (e *SkipError) Unwrap() error { return godog.ErrSkip }

// NotApplicable ends a scenario as not applicable: the stack declares that it
// lacks what the scenario needs; the reason quotes its answer.
func NotApplicable(format string, args ...any) error {
	return &SkipError{Status: reports.NotApplicable, Reason: fmt.Sprintf(format, args...)}
}

// NotRun ends a scenario as not run: the run itself lacked an input; the
// reason names the flag or input that would run it.
func NotRun(format string, args ...any) error {
	return &SkipError{Status: reports.NotRun, Reason: fmt.Sprintf(format, args...)}
}

// IsNotFound reports whether err says the object does not exist, for any object kind.
func IsNotFound(err error) bool {
	for _, code := range []libvirt.ErrorNumber{
		libvirt.ERR_NO_DOMAIN, libvirt.ERR_NO_NETWORK, libvirt.ERR_NO_STORAGE_POOL,
		libvirt.ERR_NO_STORAGE_VOL, libvirt.ERR_NO_SECRET, libvirt.ERR_NO_NWFILTER,
		libvirt.ERR_NO_NWFILTER_BINDING, libvirt.ERR_NO_DOMAIN_SNAPSHOT,
		libvirt.ERR_NO_DOMAIN_CHECKPOINT, libvirt.ERR_NO_NODE_DEVICE,
	} {
		if errors.Is(err, code) {
			return true
		}
	}
	return false
}
