package harness

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
)

// A save image of libvirt's QEMU driver (virDomainSave) is a header, the
// domain's XML and a cookie, then QEMU's migration stream:
//
//	magic "LibvirtQemudSave" | version | data_len | was_running | compressed |
//	cookieOffset | 14 unused words | data_len bytes: XML NUL cookie NUL padding |
//	the stream
//
// The words are in the host's byte order (little endian on the hosts ovacts
// runs on). libvirt pads the XML region so that the XML can be edited in place
// (virDomainSaveImageDefineXML); that API refuses a new name or UUID (the
// restored domain must be the saved one), which is what a copy of one guest's
// image restored as many guests needs. RetargetSaveImage makes such a copy.

const (
	saveMagic     = "LibvirtQemudSave"
	saveHeaderLen = len(saveMagic) + 19*4
	saveVersion   = 2 // what libvirt 9 and 11 write (version 1 had no cookie)
)

// ErrSaveImageFormat: the image is not one RetargetSaveImage knows how to
// copy (another magic, version or byte order, or compressed).
var ErrSaveImageFormat = errors.New("not an uncompressed libvirt QEMU save image of version 2")

var (
	saveName   = regexp.MustCompile(`<name>[^<]*</name>`)
	saveUUID   = regexp.MustCompile(`<uuid>[^<]*</uuid>`)
	saveReboot = regexp.MustCompile(`<on_reboot>[^<]*</on_reboot>`)
)

// SaveImageTarget is what the copy of a save image becomes: the domain's
// name and UUID, and its reboot action ("" keeps the image's).
type SaveImageTarget struct {
	Name, UUID, OnReboot string
}

// RetargetSaveImage copies the save image src to dst (created, mode 0600) with
// the domain XML's first <name>, <uuid> and <on_reboot> replaced; the cookie
// and QEMU's stream are copied unchanged.
func RetargetSaveImage(src, dst string, to SaveImageTarget) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	head, dataLen, xml, cookie, err := readSaveHeader(in, src)
	if err != nil {
		return err
	}
	edited, err := retargetXML(xml, to)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if len(edited)+1+len(cookie)+1 > int(dataLen) {
		return fmt.Errorf("%s: the new domain XML (%d bytes) does not fit the image's %d", src, len(edited), dataLen)
	}
	newData := make([]byte, dataLen)
	copy(newData, edited)
	copy(newData[len(edited)+1:], cookie)
	binary.LittleEndian.PutUint32(head[len(saveMagic)+16:], uint32(len(edited)+1))
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	if _, err = out.Write(append(head, newData...)); err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return err
}

// CheckSaveImage reads only the header and XML of the save image at path:
// nil when RetargetSaveImage can copy it.
func CheckSaveImage(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	_, _, xml, _, err := readSaveHeader(in, path)
	if err != nil {
		return err
	}
	_, err = retargetXML(xml, SaveImageTarget{Name: "n", UUID: "u"})
	return err
}

// readSaveHeader reads the header and the XML region of a save image, leaving
// in at the start of QEMU's stream.
func readSaveHeader(in io.Reader, src string) (head []byte, dataLen uint32, xml, cookie []byte, err error) {
	head = make([]byte, saveHeaderLen)
	if _, err := io.ReadFull(in, head); err != nil {
		return nil, 0, nil, nil, fmt.Errorf("%s: %w: %w", src, ErrSaveImageFormat, err)
	}
	word := func(i int) uint32 { return binary.LittleEndian.Uint32(head[len(saveMagic)+4*i:]) }
	version, dataLen, compressed, cookieAt := word(0), word(1), word(3), word(4)
	if string(head[:len(saveMagic)]) != saveMagic || version != saveVersion || compressed != 0 || dataLen > 16<<20 || cookieAt >= dataLen {
		return nil, 0, nil, nil, fmt.Errorf("%s: %w (magic %q, version %d, compressed %d)", src, ErrSaveImageFormat, head[:len(saveMagic)], version, compressed)
	}
	data := make([]byte, dataLen)
	if _, err := io.ReadFull(in, data); err != nil {
		return nil, 0, nil, nil, fmt.Errorf("%s: %w: %w", src, ErrSaveImageFormat, err)
	}
	return head, dataLen, cString(data[:cookieAt]), cString(data[cookieAt:]), nil
}

// cString is b up to its first NUL.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// retargetXML replaces the first <name>, <uuid> and (when asked) <on_reboot>
// of the saved domain XML; each must be there.
func retargetXML(xml []byte, to SaveImageTarget) ([]byte, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(xml), []byte("<domain")) {
		return nil, fmt.Errorf("%w: its XML is not a domain", ErrSaveImageFormat)
	}
	repl := []struct {
		re   *regexp.Regexp
		elem string
		val  string
	}{{saveName, "name", to.Name}, {saveUUID, "uuid", to.UUID}, {saveReboot, "on_reboot", to.OnReboot}}
	for _, r := range repl {
		if r.val == "" {
			continue
		}
		loc := r.re.FindIndex(xml)
		if loc == nil {
			return nil, fmt.Errorf("%w: its domain XML has no <%s>", ErrSaveImageFormat, r.elem)
		}
		var b bytes.Buffer
		b.Write(xml[:loc[0]])
		fmt.Fprintf(&b, "<%s>%s</%s>", r.elem, XMLEscape(r.val), r.elem)
		b.Write(xml[loc[1]:])
		xml = b.Bytes()
	}
	return xml, nil
}
