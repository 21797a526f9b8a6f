// Package xmllint validates XML against a schema with libxml2's xmllint, the
// tool CI systems and people use: the suite's tests check its reports with it.
package xmllint

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Validate checks data against an XML Schema (.xsd) or RELAX NG (.rng) file.
func Validate(data []byte, schema string) error {
	flag := "--schema"
	if strings.HasSuffix(schema, ".rng") {
		flag = "--relaxng"
	}
	dir, err := os.MkdirTemp("", "ovacts-xmllint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	doc := filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(doc, data, 0o600); err != nil {
		return err
	}
	var out bytes.Buffer
	cmd := exec.Command("xmllint", "--noout", "--nonet", flag, schema, doc)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}
