package stepkit

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

func callFailsWith(ctx context.Context, codes string) error {
	return W(ctx).ExpectCode(codes)
}

// expectRefusal checks that the last tried call was refused with a code of
// the family (and saying that, when given). A "not supported" answer is the
// stack declaring it lacks the feature: the scenario is not applicable.
func (w *World) expectRefusal(family, saying string) error {
	if !w.Tried {
		return errors.New("no call was tried before this step")
	}
	if w.LastErr == nil {
		return fmt.Errorf("the call succeeded; it should have been refused as %s", family)
	}
	if Unsupported(w.LastErr) {
		return w.LastErr
	}
	lv, ok := harness.AsLibvirt(w.LastErr)
	if !ok {
		return fmt.Errorf("the call was refused with an untyped error: %v", w.LastErr)
	}
	if err := refusals[family].judge(family, lv); err != nil {
		return err
	}
	if !strings.Contains(lv.Message, saying) {
		return fmt.Errorf("the refusal does not say %q: %w", saying, lv)
	}
	return nil
}

// refusal is one kind of refusal: the codes libvirt documents for it and,
// where a stack the suite knows answers it with a generic code, that code
// taken only with the message that stack gives. A generic code alone
// (VIR_ERR_INTERNAL_ERROR, VIR_ERR_OPERATION_FAILED) also says a crashed
// path, a lost helper or anything else, so it never counts by itself.
type refusal struct {
	codes   []libvirt.ErrorNumber
	generic []genericAnswer
}

// genericAnswer is a generic code taken as the refusal when its message says it.
type genericAnswer struct {
	code libvirt.ErrorNumber
	says *regexp.Regexp
	who  string // which stack answers so, for the error message
}

// refusals: "not supported" is never among them (that makes the scenario not
// applicable), nor a missing domain or a lost connection. The families
// DOM-011, DOM-014, NET-007, STOR-015, XML-006, XML-008 and ERR-006 use take
// only the specific codes and the listed generic answers; the others keep the
// codes every conforming driver was seen to use.
var refusals = map[string]refusal{
	"a duplicate": {
		codes: []libvirt.ErrorNumber{libvirt.ERR_DOM_EXIST, libvirt.ERR_NETWORK_EXIST, libvirt.ERR_STORAGE_VOL_EXIST},
		generic: []genericAnswer{
			// virDomainObjListAdd and virNetworkObjAssignDef, every driver (DOM-012 asks for this code).
			{libvirt.ERR_OPERATION_FAILED, regexp.MustCompile(`(domain|network) '[^']*' (already exists|is already defined) with uuid `), "libvirt's domain and network lists"},
			// the test driver's volume creation (STOR-016 is waived there).
			{libvirt.ERR_OPERATION_FAILED, regexp.MustCompile(`storage vol already exists$`), "the test driver"},
			// virSecretObjListAdd, a usage already taken (SEC-005).
			{libvirt.ERR_INTERNAL_ERROR, regexp.MustCompile(`a secret with UUID \S+ already defined for use with `), "libvirt's secret list"},
		},
	},
	"invalid XML": {codes: []libvirt.ErrorNumber{libvirt.ERR_XML_ERROR, libvirt.ERR_XML_DETAIL, libvirt.ERR_XML_INVALID_SCHEMA,
		libvirt.ERR_CONFIG_UNSUPPORTED, libvirt.ERR_NO_NAME, libvirt.ERR_NO_OS}},
	"an invalid state": {
		codes: []libvirt.ErrorNumber{libvirt.ERR_OPERATION_INVALID},
		generic: []genericAnswer{
			// testDomainSuspend/Resume/Create (ERR-008 is waived there).
			{libvirt.ERR_INTERNAL_ERROR, regexp.MustCompile(`[Dd]omain '[^']*' (not paused|not running|is already running)`), "the test driver"},
		},
	},
	"an invalid URI": {
		codes: []libvirt.ErrorNumber{libvirt.ERR_NO_CONNECT, libvirt.ERR_INVALID_ARG},
		generic: []genericAnswer{
			// virURIParse, a name that is no URI at all.
			{libvirt.ERR_INTERNAL_ERROR, regexp.MustCompile(`Unable to parse URI `), "virURIParse"},
			// the remote driver, when no daemon serves the URI's driver: no socket to connect to.
			{libvirt.ERR_SYSTEM_ERROR, regexp.MustCompile(`Failed to connect socket to '[^']*': No such file or directory`), "the remote driver"},
		},
	},
	"denied":           {codes: []libvirt.ErrorNumber{libvirt.ERR_INVALID_SECRET, libvirt.ERR_OPERATION_DENIED, libvirt.ERR_ACCESS_DENIED, libvirt.ERR_OPERATION_INVALID}},
	"in use":           {codes: []libvirt.ErrorNumber{libvirt.ERR_OPERATION_INVALID, libvirt.ERR_OPERATION_FAILED, libvirt.ERR_RESOURCE_BUSY}},
	"a missing object": {codes: []libvirt.ErrorNumber{libvirt.ERR_NO_NWFILTER, libvirt.ERR_NO_NETWORK, libvirt.ERR_NO_STORAGE_VOL, libvirt.ERR_INTERNAL_ERROR, libvirt.ERR_OPERATION_FAILED}},
	"a missing file":   {codes: []libvirt.ErrorNumber{libvirt.ERR_SYSTEM_ERROR, libvirt.ERR_OPERATION_FAILED, libvirt.ERR_INVALID_ARG, libvirt.ERR_NO_STORAGE_VOL}},
	"a migration to the same host": {
		codes: []libvirt.ErrorNumber{libvirt.ERR_OPERATION_INVALID},
		generic: []genericAnswer{
			// qemuMigrationDstPrepare: "Attempt to migrate guest to the same host <uuid>" (MIG-011).
			{libvirt.ERR_INTERNAL_ERROR, regexp.MustCompile(`to the same host`), "libvirt's QEMU migration"},
		},
	},
}

func refusalNames() string {
	names := make([]string, 0, len(refusals))
	for n := range refusals {
		names = append(names, regexp.QuoteMeta(n))
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}

// judge says whether libvirt's error is this refusal, naming what it saw when not.
func (r refusal) judge(family string, lv libvirt.Error) error {
	if slices.Contains(r.codes, lv.Code) {
		return nil
	}
	for _, g := range r.generic {
		if lv.Code == g.code && g.says.MatchString(lv.Message) {
			return nil
		}
	}
	var names []string
	for _, c := range r.codes {
		names = append(names, harness.ErrorCodeName(c))
	}
	for _, g := range r.generic {
		names = append(names, fmt.Sprintf("%s saying /%s/ (%s)", harness.ErrorCodeName(g.code), g.says, g.who))
	}
	return fmt.Errorf("refused with %s, which does not say %s (want one of %s): %s", harness.ErrorCodeName(lv.Code), family, strings.Join(names, ", "), lv.Message)
}

func registerRefusals(r *Registry) {
	r.Step(`^the call fails with (VIR_ERR_[A-Z_]+(?: or VIR_ERR_[A-Z_]+)*)$`, callFailsWith)
	r.Step(`^the call is refused as (`+refusalNames()+`)(?: saying "([^"]*)")?$`, func(ctx context.Context, family, saying string) error {
		return W(ctx).expectRefusal(family, saying)
	})
}
