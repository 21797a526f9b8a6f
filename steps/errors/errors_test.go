package errors

import (
	"errors"
	"testing"

	"github.com/ovacts/ovacts/harness"
)

// The "absent" UUID is never one the stack holds.
func TestAbsentUUIDAvoidsTheStacksOwn(t *testing.T) {
	held := []string{harness.NewUUID(), harness.NewUUID()}
	for i := 0; i < 100; i++ {
		u, err := absentUUID(func() ([]string, error) { return held, nil })
		if err != nil || u == held[0] || u == held[1] {
			t.Fatalf("%s, %v", u, err)
		}
	}
	if _, err := absentUUID(func() ([]string, error) { return nil, errors.New("list failed") }); err == nil {
		t.Fatal("a failed list was ignored")
	}
}
