package harness

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
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

// SkipKind is why a scenario did not run to a verdict.
type SkipKind string

const (
	// SkipUnsupported: the stack under test does not offer the feature.
	SkipUnsupported SkipKind = "unsupported"
	// SkipNotApplicable: the requirement does not apply to this stack.
	SkipNotApplicable SkipKind = "not-applicable"
	// SkipPrecondition: something the scenario needs is missing.
	SkipPrecondition SkipKind = "precondition"
	// SkipInterrupted: the run was interrupted before the scenario finished.
	SkipInterrupted SkipKind = "interrupted"
)

// SkipError ends a scenario as skipped with a reason. It wraps godog.ErrSkip.
type SkipError struct {
	Kind   SkipKind
	Reason string
}

func (e *SkipError) Error() string { return fmt.Sprintf("skipped (%s): %s", e.Kind, e.Reason) }

// Unwrap lets godog see the skip.
func (e *SkipError) Unwrap() error { return godog.ErrSkip }

// Skip builds a SkipError.
func Skip(kind SkipKind, format string, args ...any) error {
	return &SkipError{Kind: kind, Reason: fmt.Sprintf(format, args...)}
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
