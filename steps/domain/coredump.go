// DOM-022's look into a memory dump: an ELF core file whose loadable
// segments hold the domain's memory.

package domain

import (
	"debug/elf"
	"fmt"
	"io"
)

// legacyHole is what a PC's memory map leaves out of guest RAM below 1 MiB
// (the VGA window and the ROM shadows): the most a dump of a domain's memory
// may fall short of the memory by.
const legacyHole = 1 << 20

// dumpHoldsMemory reads a memory dump (r, of size bytes) as an ELF core file:
// its PT_LOAD segments must lie within the file, together hold at least the
// domain's memory (memKiB) less the legacy hole, and not be all zeros (a
// guest's firmware alone writes its tables into low memory).
func dumpHoldsMemory(r io.ReaderAt, size int64, memKiB uint64) error {
	f, err := elf.NewFile(r)
	if err != nil {
		return fmt.Errorf("the dump is no ELF file: %w", err)
	}
	if f.Type != elf.ET_CORE {
		return fmt.Errorf("the dump is an ELF file of type %s, not a core file", f.Type)
	}
	var total uint64
	var loads []*elf.Prog
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		if p.Off+p.Filesz > uint64(size) || p.Off+p.Filesz < p.Off {
			return fmt.Errorf("a PT_LOAD segment of the dump (offset %d, %d bytes) runs past its %d bytes", p.Off, p.Filesz, size)
		}
		total += p.Filesz
		loads = append(loads, p)
	}
	mem := memKiB << 10
	if total+legacyHole < mem {
		return fmt.Errorf("the dump's %d PT_LOAD segments hold %d bytes, short of the domain's memory of %d bytes", len(loads), total, mem)
	}
	for _, p := range loads {
		nonZero, err := holdsNonZero(io.NewSectionReader(r, int64(p.Off), int64(p.Filesz)))
		if err != nil || nonZero {
			return err
		}
	}
	return fmt.Errorf("the dump's %d PT_LOAD segments (%d bytes) hold only zeros: no memory was dumped", len(loads), total)
}

func holdsNonZero(r io.Reader) (bool, error) {
	buf := make([]byte, 1<<20)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return true, nil
			}
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}
