package harness

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"libvirt.org/go/libvirt"
)

// AgentCommand runs one guest agent command and decodes its "return" into out.
func AgentCommand(d *libvirt.Domain, timeout time.Duration, cmd string, args any, out any) error {
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	secs := libvirt.DomainQemuAgentCommandTimeout(max(1, int(timeout/time.Second)))
	resp, err := d.QemuAgentCommand(string(body), secs, 0)
	if err != nil {
		return fmt.Errorf("guest agent %s: %w", cmd, err)
	}
	if out == nil {
		return nil
	}
	var env struct {
		Return json.RawMessage `json:"return"`
	}
	if err := json.Unmarshal([]byte(resp), &env); err != nil {
		return fmt.Errorf("guest agent %s: reply does not parse: %v", cmd, err)
	}
	if err := json.Unmarshal(env.Return, out); err != nil {
		return fmt.Errorf("guest agent %s: unexpected reply %s: %v", cmd, env.Return, err)
	}
	return nil
}

// ExecResult is a command's outcome inside the guest.
type ExecResult struct {
	Exit   int
	Stdout string
	Stderr string
}

// GuestExec runs a shell command in the guest through the agent's guest-exec
// and waits (polling guest-exec-status, the protocol's only way) until it exits.
func GuestExec(ctx context.Context, d *libvirt.Domain, limit time.Duration, script string) (ExecResult, error) {
	var started struct {
		PID int `json:"pid"`
	}
	args := map[string]any{"path": "/bin/sh", "arg": []string{"-c", script}, "capture-output": true}
	if err := AgentCommand(d, limit, "guest-exec", args, &started); err != nil {
		return ExecResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		var st struct {
			Exited   bool   `json:"exited"`
			ExitCode int    `json:"exitcode"`
			Out      string `json:"out-data"`
			Err      string `json:"err-data"`
		}
		if err := AgentCommand(d, limit, "guest-exec-status", map[string]any{"pid": started.PID}, &st); err != nil {
			return ExecResult{}, err
		}
		if st.Exited {
			out, _ := base64.StdEncoding.DecodeString(st.Out)
			errOut, _ := base64.StdEncoding.DecodeString(st.Err)
			return ExecResult{Exit: st.ExitCode, Stdout: string(out), Stderr: string(errOut)}, nil
		}
		select {
		case <-ctx.Done():
			return ExecResult{}, fmt.Errorf("guest command %q still running after %s", script, limit)
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}
