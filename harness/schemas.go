// The XML interface contract: the documents a stack emits validate against
// libvirt's own RELAX NG schemas, as virt-xml-validate uses them.

package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/ovacts/ovacts/internal/xmllint"
)

// SchemaDir is where libvirt installs its RELAX NG schemas (Debian's libvirt0).
const SchemaDir = "/usr/share/libvirt/schemas"

// probeSchemas decides "schemas": xmllint and libvirt's schemas on the host
// running ovacts, of the daemon's libvirt or a newer one. libvirt's schemas
// only ever accept more from one release to the next, so older schemas would
// fail what a newer daemon adds: that run lacks an input, it is not the stack's
// fault.
func (c *Capabilities) probeSchemas(client, daemon uint32) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		c.Lack("schemas", "xmllint is not installed on the host running ovacts (Debian: libxml2-utils)", NotProvided)
		return
	}
	if _, err := os.Stat(filepath.Join(SchemaDir, "domain.rng")); err != nil {
		c.Lack("schemas", "libvirt's RELAX NG schemas are not installed here: "+err.Error(), NotProvided)
		return
	}
	if daemon > client {
		c.Lack("schemas", fmt.Sprintf("the schemas here are libvirt %s's, older than the daemon's %s",
			VersionString(client), VersionString(daemon)), NotProvided)
	}
}

// ValidateXML validates doc against libvirt's schema name ("domain" for
// domain.rng) with xmllint, and says where it is invalid.
func ValidateXML(ctx context.Context, name, doc string) error {
	if err := xmllint.Check(ctx, []byte(doc), filepath.Join(SchemaDir, name+".rng")); err != nil {
		return fmt.Errorf("the document %w", err)
	}
	return nil
}
