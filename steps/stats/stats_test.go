package stats

import (
	"testing"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// STAT-005: no statistics, no balloon size, a balloon size other than the
// current memory, or a zero resident set fails.
func TestMemoryStatsAgree(t *testing.T) {
	stat := func(tag libvirt.DomainMemoryStatTags, v uint64) libvirt.DomainMemoryStat {
		return libvirt.DomainMemoryStat{Tag: int32(tag), Val: v}
	}
	good := []libvirt.DomainMemoryStat{stat(libvirt.DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 65536), stat(libvirt.DOMAIN_MEMORY_STAT_RSS, 40000)}
	if err := memoryStatsAgree(good, 65536); err != nil {
		t.Fatal(err)
	}
	stepkit.WantErr(t, "no statistics", memoryStatsAgree(nil, 65536), "no memory statistics")
	stepkit.WantErr(t, "no balloon", memoryStatsAgree(good[1:], 65536), "no actual balloon size")
	stepkit.WantErr(t, "another balloon size", memoryStatsAgree(good, 131072), "actual size is 65536 KiB, the domain's current memory 131072 KiB")
	stepkit.WantErr(t, "a zero RSS", memoryStatsAgree([]libvirt.DomainMemoryStat{good[0], stat(libvirt.DOMAIN_MEMORY_STAT_RSS, 0)}, 65536), "resident set size is reported as 0")
}
