// Package stepkit is what the step packages of every area share: the
// registry of step definitions and its wrapper (registry.go), the scenario's
// world (world.go), the steps several areas' features take (shared_steps.go)
// and the helpers behind them.
package stepkit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

// Def is one step definition.
type Def struct {
	Pattern string
	Re      *regexp.Regexp
	Where   string  // file:line of the registration, for lint messages
	Handler string  // file:line of the handler's definition: the Cucumber JSON's match.location
	Func    string  // the handler's name; a closure's is its register function's with ".func<N>"
	Inputs  []Input // the arguments that become a URI, a path or a device
	Wrapped any     // the handler as godog calls it: with its deadline, inputs checked, verdict on "not supported"
}

// Input declares that a step's argument (Arg: its index among the handler's
// arguments after the context) becomes more than a name or a value: a URI
// libvirt opens, a path, a device. Feature files are untrusted, so every such
// argument is checked by harness.CheckArgument before the handler runs.
type Input struct {
	Arg  int
	Kind harness.ArgKind
}

// Takes declares a step's argument of a kind (see Input).
func Takes(arg int, kind harness.ArgKind) Input { return Input{Arg: arg, Kind: kind} }

// Registry collects step definitions before they are bound to godog.
type Registry struct {
	defs []*Def
	errs []error
}

// Result is every step registered, or the registration errors.
func (r *Registry) Result() ([]*Def, error) { return r.defs, errors.Join(r.errs...) }

// stepsPath is a source file's path under steps/ ("domain/domain.go").
func stepsPath(file string) string {
	if i := strings.LastIndex(file, "/steps/"); i >= 0 {
		return file[i+len("/steps/"):]
	}
	return file[strings.LastIndex(file, "/")+1:]
}

// Step registers a handler. Patterns must be anchored (^...$): godog silently
// takes the first of two matching definitions. Handlers must look like
// func(ctx context.Context, args...) error.
func (r *Registry) Step(pattern string, fn any, inputs ...Input) {
	_, file, line, _ := runtime.Caller(1)
	where := fmt.Sprintf("%s:%d", stepsPath(file), line)
	if !strings.HasPrefix(pattern, "^") || !strings.HasSuffix(pattern, "$") {
		r.errs = append(r.errs, fmt.Errorf("%s: step pattern %q is not anchored with ^...$", where, pattern))
		return
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", where, err))
		return
	}
	for _, in := range inputs {
		if in.Arg < 0 || in.Arg >= re.NumSubexp() {
			r.errs = append(r.errs, fmt.Errorf("%s: declared input %d of %q is not one of its %d arguments", where, in.Arg, pattern, re.NumSubexp()))
			return
		}
	}
	w, err := wrap(fn, waitOf(pattern), inputs)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", where, err))
		return
	}
	r.defs = append(r.defs, &Def{Pattern: pattern, Re: re, Where: where, Handler: definedAt(fn, where), Func: funcName(fn), Inputs: inputs, Wrapped: w})
}

// definedAt is a handler's own file and line (a closure's is where it is
// written, the registration).
func definedAt(fn any, registered string) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return registered
	}
	file, line := f.FileLine(f.Entry())
	return fmt.Sprintf("%s:%d", stepsPath(file), line)
}

// funcName is a handler's function name, without its package's path.
func funcName(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return ""
	}
	name := f.Name()
	return name[strings.LastIndex(name, "/")+1:]
}

var (
	ctxType = reflect.TypeOf((*context.Context)(nil)).Elem()
	errType = reflect.TypeOf((*error)(nil)).Elem()
)

// stepWait is how long a step says it waits: "within N seconds" (the
// capture group Arg holds N) or "within the boot limit". Its deadline is then
// that wait and some slack, when longer than --step-timeout: a step never
// waits for less than it says.
type stepWait struct {
	Arg       int // index of the seconds among the handler's arguments; -1 for none
	BootLimit bool
}

var withinSeconds = regexp.MustCompile(`within \(\\d\+\) seconds`)

// waitOf reads a pattern's stated wait.
func waitOf(pattern string) stepWait {
	w := stepWait{Arg: -1, BootLimit: strings.Contains(pattern, "within the boot limit")}
	if loc := withinSeconds.FindStringIndex(pattern); loc != nil {
		// The number's group is the one opened at loc: count the capturing
		// groups opened before it.
		before := pattern[:loc[0]]
		w.Arg = strings.Count(before, "(") - strings.Count(before, "(?") - strings.Count(before, "\\(") + 1
	}
	return w
}

// waitSlack is added to a stated wait: the time around the wait itself.
const waitSlack = 15 * time.Second

// applianceLaunches is how many launches of the libguestfs appliance a step
// of the libguestfs area may take: the probe measured one launch on this
// host, and a step (a tool such as virt-inspector launches an appliance of
// its own) gets that many and some slack, so that a slow or busy host never
// fails a healthy stack by the suite's clock.
const applianceLaunches = 5

// deadline is a step's time limit and where it comes from: --step-timeout,
// its stated wait and some slack when that is longer, or, in the libguestfs
// area, a multiple of the appliance launch measured here when that is longer.
func (sw stepWait) deadline(w *World, in []reflect.Value) (time.Duration, string) {
	limit, stated := w.StepTimeout(), time.Duration(0)
	why := "--step-timeout"
	if sw.Arg > 0 && sw.Arg < len(in) {
		switch a := in[sw.Arg].Interface().(type) {
		case string:
			stated = Seconds(a)
		case int:
			stated = time.Duration(a) * time.Second
		}
	}
	if sw.BootLimit && w.Caps.Guest != nil {
		stated = w.Caps.Guest.BootLimit
	}
	if stated > 0 && stated+waitSlack > limit {
		limit, why = stated+waitSlack, "the wait the step states and 15 s"
	}
	if g := w.Caps.Guestfs; g != nil && g.ProbeLaunch > 0 && w.Req != nil && w.Req.Area == "GFS" {
		if l := (applianceLaunches*g.ProbeLaunch + waitSlack).Round(time.Second); l > limit {
			limit, why = l, fmt.Sprintf("%d times the appliance launch the probe measured on this host (%.1f s) and 15 s", applianceLaunches, g.ProbeLaunch.Seconds())
		}
	}
	return limit, why
}

// wrap gives every handler the same treatment: the step deadline, a stop on
// interrupt, and the verdict on libvirt's "not supported" answer.
func wrap(fn any, wait stepWait, inputs []Input) (any, error) {
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumIn() < 1 || t.In(0) != ctxType || t.NumOut() != 1 || t.Out(0) != errType {
		return nil, fmt.Errorf("step handler %s must be func(context.Context, ...) error", t)
	}
	return reflect.MakeFunc(t, func(in []reflect.Value) (out []reflect.Value) {
		defer func() {
			// A step argument that would become a path (harness.Scenario.Name).
			if p := recover(); p != nil {
				bad, ok := p.(harness.BadArgument)
				if !ok {
					panic(p)
				}
				out = errResult(bad)
			}
		}()
		// The declared inputs first: a refused one never reaches a handler.
		if err := checkInputs(inputs, in); err != nil {
			return errResult(err)
		}
		ctx := in[0].Interface().(context.Context)
		w := W(ctx)
		if w == nil {
			return errResult(errors.New("internal: no scenario state in context"))
		}
		if ctx.Err() != nil {
			return errResult(ended(ctx))
		}
		limit, why := wait.deadline(w, in)
		sctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		in[0] = reflect.ValueOf(sctx)
		res := v.Call(in)
		err, _ := res[0].Interface().(error)
		return errResult(classify(limit, why, sctx, err))
	}).Interface(), nil
}

// checkInputs holds a step's declared arguments to harness.CheckArgument.
func checkInputs(inputs []Input, in []reflect.Value) error {
	for _, d := range inputs {
		if v := in[1+d.Arg]; v.Kind() == reflect.String {
			if err := harness.CheckArgument(d.Kind, v.String()); err != nil {
				shown := v.String()
				if d.Kind == harness.ArgURI {
					shown = harness.RedactURI(shown)
				}
				return harness.BadArgument{Err: fmt.Errorf("%s %s: %w", d.Kind, safeio.Printable(shown), err)}
			}
		}
	}
	return nil
}

func errResult(err error) []reflect.Value {
	if err == nil {
		return []reflect.Value{reflect.Zero(errType)}
	}
	return []reflect.Value{reflect.ValueOf(&err).Elem()}
}

// Unsupported reports libvirt's ways of saying a driver does not implement
// something: VIR_ERR_NO_SUPPORT for a call; VIR_ERR_ARGUMENT_UNSUPPORTED ("valid
// API use but unsupported by the given driver") and VIR_ERR_OPERATION_UNSUPPORTED
// for an argument or an operation; and virCheckFlags' "unsupported flags"
// (VIR_ERR_INVALID_ARG) for a flag of a call it has.
func Unsupported(err error) bool {
	if errors.Is(err, libvirt.ERR_NO_SUPPORT) || errors.Is(err, libvirt.ERR_ARGUMENT_UNSUPPORTED) || errors.Is(err, libvirt.ERR_OPERATION_UNSUPPORTED) {
		return true
	}
	lv, ok := harness.AsLibvirt(err)
	return ok && lv.Code == libvirt.ERR_INVALID_ARG && strings.HasPrefix(lv.Message, "unsupported flags")
}

// classify turns libvirt's "not supported" answers into not applicable, with
// the answer as the evidence, at every level: the stack declares it lacks the
// feature. Whether a profile may do without it is the verdict's to say
// (reports.Judge): a MUST not applicable for no optional capability leaves the
// profile incomplete, never conformant.
func classify(limit time.Duration, why string, ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var skip *harness.SkipError
	if errors.As(err, &skip) {
		return err
	}
	if Unsupported(err) {
		return harness.NotApplicable("the stack answers that it does not support it: %s", harness.DescribeError(err))
	}
	if ctx.Err() != nil && !errors.Is(err, godog.ErrSkip) {
		// The step's deadline, the scenario's, a lost connection, or an interrupt.
		if cause := context.Cause(ctx); cause == context.DeadlineExceeded {
			return fmt.Errorf("step timed out after %s (%s): %w", limit, why, err)
		} else if !errors.Is(cause, context.Canceled) {
			return fmt.Errorf("%w (while: %v)", cause, err)
		}
	}
	return err
}

// ended says why a step cannot start: an interrupt is a skip; a lost
// connection or the scenario's deadline is a failure.
func ended(ctx context.Context) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, context.Canceled) {
		return &harness.SkipError{Status: reports.NotRun, Capability: "interrupted", Reason: "the run was interrupted"}
	}
	return cause
}

// Bind binds step definitions to a godog scenario: each scenario gets its
// World, in its context, before its first step.
func Bind(sc *godog.ScenarioContext, defs []*Def) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		s := harness.ScenarioFrom(ctx)
		if s == nil {
			return ctx, errors.New("internal: no harness scenario in context")
		}
		return WithWorld(ctx, &World{Scenario: s}), nil
	})
	for _, d := range defs {
		sc.Step(d.Re, d.Wrapped)
	}
}
