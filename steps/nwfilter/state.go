package nwfilter

import (
	"github.com/ovacts/ovacts/steps/stepkit"
)

type filterState struct {
	bindings map[string]string // logical domain -> host device of its filtered NIC
}

func (w *world) filterSt() *filterState { return stepkit.State[filterState](w.World) }
