package stepkit

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func qcow2Bytes(backing string, size uint64) []byte {
	b := make([]byte, 512)
	copy(b, qcow2Magic)
	binary.BigEndian.PutUint32(b[4:], 3)
	if backing != "" {
		binary.BigEndian.PutUint64(b[8:], 256)
		binary.BigEndian.PutUint32(b[16:], uint32(len(backing)))
		copy(b[256:], backing)
	}
	binary.BigEndian.PutUint64(b[24:], size)
	return b
}

// The header tells a qcow2 image with its backing file from one without, and
// a raw file from a qcow2 image, whatever libvirt says of them.
func TestQcow2Header(t *testing.T) {
	h, err := parseQcow2Header(bytes.NewReader(qcow2Bytes("/p/base", 4<<20)))
	if err != nil || h.Backing != "/p/base" || h.Size != 4<<20 || h.Version != 3 {
		t.Fatalf("%+v %v", h, err)
	}
	if h, err := parseQcow2Header(bytes.NewReader(qcow2Bytes("", 4<<20))); err != nil || h.Backing != "" {
		t.Fatalf("no backing: %+v %v", h, err)
	}
	if _, err := parseQcow2Header(bytes.NewReader(make([]byte, 512))); err == nil || !strings.Contains(err.Error(), "not a qcow2 image") {
		t.Fatalf("raw: %v", err)
	}
	if _, err := parseQcow2Header(bytes.NewReader([]byte("QFI"))); err == nil {
		t.Fatal("a short file read as qcow2")
	}
	if err := BackedBy(Qcow2Header{Backing: "/p/other"}, "/p/base"); err == nil {
		t.Fatal("another backing file accepted")
	}
	if err := BackedBy(Qcow2Header{}, "/p/base"); err == nil || !strings.Contains(err.Error(), "names no backing file") {
		t.Fatalf("no backing accepted: %v", err)
	}
	if err := BackedBy(Qcow2Header{Backing: "/p/base"}, "/p/base"); err != nil {
		t.Fatal(err)
	}
}
