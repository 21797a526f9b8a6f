// The node's memory (features/host): KSM's pages to scan and the node's
// memory parameters, read and set back.

package host

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/steps/stepkit"
)

// ksmPagesToScan is the kernel's own value of what HOST-009 reads through libvirt.
const ksmPagesToScan = "/sys/kernel/mm/ksm/pages_to_scan"

func nodeMemoryParametersAnswer(ctx context.Context) error {
	w := W(ctx)
	p, err := w.Conn.GetMemoryParameters(0)
	if err != nil {
		return err
	}
	if !p.ShmPagesToScanSet || p.ShmPagesToScan == 0 || !p.ShmSleepMillisecsSet {
		return fmt.Errorf("the node's memory parameters give no pages to scan and sleep time: %+v", p)
	}
	if !w.Caps.Has("host") {
		return nil
	}
	kernel, err := os.ReadFile(ksmPagesToScan)
	if err != nil {
		return fmt.Errorf("the kernel's pages to scan: %w", err)
	}
	return samePagesToScan(uint64(p.ShmPagesToScan), string(kernel))
}

// samePagesToScan: the pages to scan libvirt answers are the kernel's
// (ksmPagesToScan's content), on a stack that runs on this host.
func samePagesToScan(libvirtSays uint64, kernel string) error {
	k, err := strconv.ParseUint(strings.TrimSpace(kernel), 10, 64)
	if err != nil {
		return fmt.Errorf("%s holds %q, not a number: %w", ksmPagesToScan, kernel, err)
	}
	if k != libvirtSays {
		return fmt.Errorf("the node's memory parameters say %d pages to scan, the kernel's %s says %d", libvirtSays, ksmPagesToScan, k)
	}
	return nil
}

func registerMemory(r *stepkit.Registry) {
	r.Step(`^the node's memory parameters answer the pages the kernel's same-page merging scans$`, nodeMemoryParametersAnswer)
}
