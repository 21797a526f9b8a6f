package harness

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// saveImage lays out an image as libvirt's QEMU driver writes it.
func saveImage(version, compressed uint32, xml, cookie string, dataLen int, stream []byte) []byte {
	head := make([]byte, saveHeaderLen)
	copy(head, saveMagic)
	w := func(i int, v uint32) { binary.LittleEndian.PutUint32(head[len(saveMagic)+4*i:], v) }
	w(0, version)
	w(1, uint32(dataLen))
	w(2, 1)
	w(3, compressed)
	w(4, uint32(len(xml)+1))
	data := make([]byte, dataLen)
	copy(data, xml)
	copy(data[len(xml)+1:], cookie)
	return append(append(head, data...), stream...)
}

func TestRetargetSaveImage(t *testing.T) {
	dir := t.TempDir()
	xml := "<domain type='qemu'>\n  <name>ovacts-x-shared-guest-image</name>\n  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n" +
		"  <on_reboot>restart</on_reboot>\n  <devices><disk><source><name>inner</name></source></disk></devices>\n</domain>\n"
	stream := bytes.Repeat([]byte("QEVM\x00\x00\x00\x03 stream with <name>guest</name> in RAM "), 1000)
	src := filepath.Join(dir, "gold.save")
	os.WriteFile(src, saveImage(2, 0, xml, "<cookie>\n  <slirpHelper/>\n</cookie>\n", 4096, stream), 0o600)

	dst := filepath.Join(dir, "copy.save")
	to := SaveImageTarget{Name: "ovacts-x-s7-a-much-longer-name-than-before-g", UUID: "99999999-2222-3333-4444-555555555555", OnReboot: "destroy"}
	if err := CheckSaveImage(src); err != nil {
		t.Fatal(err)
	}
	if err := RetargetSaveImage(src, dst, to); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	word := func(i int) uint32 { return binary.LittleEndian.Uint32(got[len(saveMagic)+4*i:]) }
	if string(got[:len(saveMagic)]) != saveMagic || word(0) != 2 || word(1) != 4096 || word(2) != 1 || word(3) != 0 {
		t.Fatalf("header changed: %q", got[:saveHeaderLen])
	}
	data := got[saveHeaderLen : saveHeaderLen+4096]
	newXML, cookie := string(cString(data)), string(cString(data[word(4):]))
	for _, want := range []string{"<name>" + to.Name + "</name>", "<uuid>" + to.UUID + "</uuid>", "<on_reboot>destroy</on_reboot>", "<source><name>inner</name></source>"} {
		if !strings.Contains(newXML, want) {
			t.Errorf("retargeted XML lacks %s:\n%s", want, newXML)
		}
	}
	if strings.Contains(newXML, "shared-guest-image") || strings.Contains(newXML, "11111111") {
		t.Errorf("the old name or UUID stayed:\n%s", newXML)
	}
	if cookie != "<cookie>\n  <slirpHelper/>\n</cookie>\n" {
		t.Errorf("cookie = %q", cookie)
	}
	if !bytes.Equal(got[saveHeaderLen+4096:], stream) {
		t.Error("QEMU's stream was not copied byte for byte")
	}
	if err := RetargetSaveImage(src, dst, to); err == nil {
		t.Error("an existing copy was overwritten")
	}
}

func TestRetargetSaveImageRefuses(t *testing.T) {
	dir := t.TempDir()
	xml := "<domain><name>a</name><uuid>u</uuid><on_reboot>restart</on_reboot></domain>"
	to := SaveImageTarget{Name: "b", UUID: "v"}
	for name, img := range map[string][]byte{
		"version 3":    saveImage(3, 0, xml, "<cookie/>", 1024, nil),
		"compressed":   saveImage(2, 1, xml, "<cookie/>", 1024, nil),
		"other magic":  append([]byte("LibvirtQemudPart"), saveImage(2, 0, xml, "", 1024, nil)[16:]...),
		"not a domain": saveImage(2, 0, "<network><name>a</name><uuid>u</uuid></network>", "", 1024, nil),
		"no uuid":      saveImage(2, 0, "<domain><name>a</name></domain>", "", 1024, nil),
		"short":        []byte(saveMagic + "\x02\x00"),
	} {
		src := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(src, img, 0o600)
		dst := src + ".copy"
		if err := CheckSaveImage(src); !errors.Is(err, ErrSaveImageFormat) {
			t.Errorf("%s: CheckSaveImage %v, want ErrSaveImageFormat", name, err)
		}
		err := RetargetSaveImage(src, dst, to)
		if !errors.Is(err, ErrSaveImageFormat) {
			t.Errorf("%s: %v, want ErrSaveImageFormat", name, err)
		}
		if _, serr := os.Stat(dst); serr == nil {
			t.Errorf("%s: a copy was left behind", name)
		}
	}
	// A name that does not fit the image's XML region is refused, not cut.
	src := filepath.Join(dir, "tight")
	os.WriteFile(src, saveImage(2, 0, xml, "<cookie/>", len(xml)+12, nil), 0o600)
	if err := RetargetSaveImage(src, src+".copy", SaveImageTarget{Name: strings.Repeat("n", 64)}); err == nil || errors.Is(err, ErrSaveImageFormat) {
		t.Errorf("a name too long for the image: %v", err)
	}
}
