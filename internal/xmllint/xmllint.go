// Package xmllint validates XML against a schema with libxml2's xmllint, the
// tool CI systems and people use: the suite's tests check its reports with it,
// and the steps check what a stack emits against its published schemas.
package xmllint

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Validate checks data against an XML Schema (.xsd) or RELAX NG (.rng) file.
func Validate(data []byte, schema string) error {
	return Check(context.Background(), data, schema)
}

// Check validates data against schema (.xsd, or .rng for RELAX NG) without
// the network; its error quotes xmllint's first complaints, where the
// document is invalid.
func Check(ctx context.Context, data []byte, schema string) error {
	flag := "--schema"
	if strings.HasSuffix(schema, ".rng") {
		flag = "--relaxng"
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "xmllint", "--noout", "--nonet", flag, schema, "-")
	cmd.Stdin = bytes.NewReader(data)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) > 4 {
			lines = append(lines[:4], fmt.Sprintf("(%d more lines)", len(lines)-4))
		}
		return fmt.Errorf("does not validate against %s: %v: %s", schema, err, strings.Join(lines, " | "))
	}
	return nil
}
