package stepkit

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// What a qcow2 image's own header says, read from its bytes on this host:
// the effect of a volume's creation, seen outside libvirt (which would
// otherwise only repeat what it was asked for).

const qcow2Magic = "QFI\xfb"

// Qcow2Header is the start of a qcow2 header: its version, the backing file
// it names and the virtual size.
type Qcow2Header struct {
	Version uint32
	Backing string
	Size    uint64
}

// ReadQcow2Header reads the header of the image at path; an image that is
// not qcow2 is an error saying what its first bytes are.
func ReadQcow2Header(path string) (Qcow2Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Qcow2Header{}, err
	}
	defer f.Close()
	return parseQcow2Header(f)
}

func parseQcow2Header(r io.ReaderAt) (Qcow2Header, error) {
	var h Qcow2Header
	b := make([]byte, 32)
	if n, err := r.ReadAt(b, 0); n < len(b) {
		return h, fmt.Errorf("not a qcow2 image: %d bytes of header (%v)", n, err)
	}
	if string(b[:4]) != qcow2Magic {
		return h, fmt.Errorf("not a qcow2 image: it starts with %q, not the qcow2 magic %q", b[:4], qcow2Magic)
	}
	h.Version = binary.BigEndian.Uint32(b[4:8])
	off, size := binary.BigEndian.Uint64(b[8:16]), binary.BigEndian.Uint32(b[16:20])
	h.Size = binary.BigEndian.Uint64(b[24:32])
	if off == 0 || size == 0 {
		return h, nil
	}
	if size > 4096 {
		return h, fmt.Errorf("qcow2 header: a backing file name of %d bytes", size)
	}
	name := make([]byte, size)
	if _, err := r.ReadAt(name, int64(off)); err != nil {
		return h, fmt.Errorf("qcow2 header: reading the backing file name: %w", err)
	}
	h.Backing = string(name)
	return h, nil
}
