package domain

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"
)

// core builds an ELF core file of the given type whose PT_LOAD segments hold
// segs; grow makes the last segment's header claim that many bytes more than
// the file holds.
func core(typ elf.Type, grow uint64, segs ...[]byte) []byte {
	var b bytes.Buffer
	h := elf.Header64{Type: uint16(typ), Machine: uint16(elf.EM_X86_64), Version: 1, Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: uint16(len(segs))}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.Write(&b, binary.LittleEndian, h)
	off := uint64(64 + 56*len(segs))
	for i, s := range segs {
		p := elf.Prog64{Type: uint32(elf.PT_LOAD), Off: off, Paddr: uint64(i) << 32, Filesz: uint64(len(s)), Memsz: uint64(len(s))}
		if i == len(segs)-1 {
			p.Filesz += grow
		}
		binary.Write(&b, binary.LittleEndian, p)
		off += uint64(len(s))
	}
	for _, s := range segs {
		b.Write(s)
	}
	return b.Bytes()
}

// DOM-022: a dump passes only as an ELF core file whose PT_LOAD segments,
// within the file, hold the domain's memory and something other than zeros.
func TestDumpHoldsMemory(t *testing.T) {
	const memKiB = 4096 // 4 MiB
	ram := make([]byte, memKiB<<10-640<<10)
	ram[len(ram)/2] = 0xf4
	low := make([]byte, 640<<10)
	check := func(b []byte) error { return dumpHoldsMemory(bytes.NewReader(b), int64(len(b)), memKiB) }
	if err := check(core(elf.ET_CORE, 0, low, ram)); err != nil {
		t.Fatalf("a dump of the memory: %v", err)
	}
	for name, c := range map[string]struct {
		dump   []byte
		saying string
	}{
		"zeros":       {core(elf.ET_CORE, 0, low, make([]byte, len(ram))), "hold only zeros"},
		"too little":  {core(elf.ET_CORE, 0, low, ram[:1<<20]), "short of the domain's memory of 4194304 bytes"},
		"no segment":  {core(elf.ET_CORE, 0), "0 PT_LOAD segments hold 0 bytes"},
		"past end":    {core(elf.ET_CORE, 1<<20, low, ram), "runs past"},
		"not a core":  {core(elf.ET_EXEC, 0, low, ram), "not a core file"},
		"not ELF":     {append([]byte("QEVM"), ram...), "no ELF file"},
		"header only": {core(elf.ET_CORE, 0)[:64], "short of"},
	} {
		if err := check(c.dump); err == nil || !strings.Contains(err.Error(), c.saying) {
			t.Errorf("%s: %v, want %q", name, err, c.saying)
		}
	}
}
