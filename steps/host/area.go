// Package host holds the steps of the features in features/host/.
package host

import (
	"context"

	"github.com/ovacts/ovacts/steps/stepkit"
)

// world is the scenario's world as this area's steps see it: the shared
// World, and this area's own helpers as its methods.
type world struct{ *stepkit.World }

// W returns the world of a step's context.
func W(ctx context.Context) *world { return &world{stepkit.W(ctx)} }

// Register registers this area's steps.
func Register(r *stepkit.Registry) {
	registerHost(r)
	registerMemory(r)
}
