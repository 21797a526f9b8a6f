package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// Steps shared by every area: the verdict on the last call a scenario tried.
func registerCommon(r *Registry) {
	r.Step(`^the call fails with (VIR_ERR_[A-Z_]+(?: or VIR_ERR_[A-Z_]+)*)$`, callFailsWith)
	r.Step(`^the call is refused as (`+refusalNames()+`)(?: saying "([^"]*)")?$`, func(ctx context.Context, family, saying string) error {
		return W(ctx).expectRefusal(family, saying)
	})
}

func callFailsWith(ctx context.Context, codes string) error {
	return W(ctx).expectCode(codes)
}

// refusals are the kinds of refusal a requirement can ask for, each with the
// libvirt codes that express it. Drivers differ in the code they pick (the
// test driver answers many refusals with VIR_ERR_INTERNAL_ERROR, libvirt's
// secret driver a duplicate usage too), so a family holds every code a
// conforming driver uses for it; what it never holds is a code that says
// something else: "not supported" (that makes the scenario not applicable),
// a missing domain, a lost connection.
var refusals = map[string][]libvirt.ErrorNumber{
	"a duplicate": {libvirt.ERR_DOM_EXIST, libvirt.ERR_NETWORK_EXIST, libvirt.ERR_STORAGE_VOL_EXIST, libvirt.ERR_OPERATION_FAILED,
		libvirt.ERR_OPERATION_INVALID, libvirt.ERR_INVALID_ARG, libvirt.ERR_INTERNAL_ERROR},
	"invalid XML": {libvirt.ERR_XML_ERROR, libvirt.ERR_XML_DETAIL, libvirt.ERR_XML_INVALID_SCHEMA, libvirt.ERR_NO_NAME, libvirt.ERR_NO_OS,
		libvirt.ERR_INVALID_ARG, libvirt.ERR_CONFIG_UNSUPPORTED, libvirt.ERR_INTERNAL_ERROR},
	"an invalid state":             {libvirt.ERR_OPERATION_INVALID, libvirt.ERR_OPERATION_FAILED, libvirt.ERR_INTERNAL_ERROR},
	"denied":                       {libvirt.ERR_INVALID_SECRET, libvirt.ERR_OPERATION_DENIED, libvirt.ERR_ACCESS_DENIED, libvirt.ERR_OPERATION_INVALID},
	"in use":                       {libvirt.ERR_OPERATION_INVALID, libvirt.ERR_OPERATION_FAILED, libvirt.ERR_RESOURCE_BUSY},
	"a missing object":             {libvirt.ERR_NO_NWFILTER, libvirt.ERR_NO_NETWORK, libvirt.ERR_NO_STORAGE_VOL, libvirt.ERR_INTERNAL_ERROR, libvirt.ERR_OPERATION_FAILED},
	"a missing file":               {libvirt.ERR_SYSTEM_ERROR, libvirt.ERR_OPERATION_FAILED, libvirt.ERR_INVALID_ARG, libvirt.ERR_NO_STORAGE_VOL},
	"an invalid URI":               {libvirt.ERR_NO_CONNECT, libvirt.ERR_INVALID_ARG, libvirt.ERR_INTERNAL_ERROR, libvirt.ERR_SYSTEM_ERROR},
	"a migration to the same host": {libvirt.ERR_OPERATION_INVALID, libvirt.ERR_INTERNAL_ERROR},
}

func refusalNames() string {
	names := make([]string, 0, len(refusals))
	for n := range refusals {
		names = append(names, regexp.QuoteMeta(n))
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}

// expectRefusal checks that the last tried call was refused with a code of
// the family (and saying that, when given). A "not supported" answer is the
// stack declaring it lacks the feature: the scenario is not applicable.
func (w *world) expectRefusal(family, saying string) error {
	if !w.tried {
		return errors.New("no call was tried before this step")
	}
	if w.lastErr == nil {
		return fmt.Errorf("the call succeeded; it should have been refused as %s", family)
	}
	if unsupported(w.lastErr) {
		return w.lastErr
	}
	lv, ok := harness.AsLibvirt(w.lastErr)
	if !ok {
		return fmt.Errorf("the call was refused with an untyped error: %v", w.lastErr)
	}
	if !slices.Contains(refusals[family], lv.Code) {
		var names []string
		for _, c := range refusals[family] {
			names = append(names, harness.ErrorCodeName(c))
		}
		return fmt.Errorf("refused with %s, which does not say %s (want one of %s): %s", harness.ErrorCodeName(lv.Code), family, strings.Join(names, ", "), lv.Message)
	}
	if !strings.Contains(lv.Message, saying) {
		return fmt.Errorf("the refusal does not say %q: %w", saying, lv)
	}
	return nil
}
