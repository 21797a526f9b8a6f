package secret

import (
	"github.com/ovacts/ovacts/steps/stepkit"
)

type secretState struct {
	sums map[string][32]byte // logical secret -> sha256 of its value, never the value
}

func (w *world) secretSt() *secretState { return stepkit.State[secretState](w.World) }
