// Disk images made and read on the host for the libguestfs scenarios:
// qemu-img's view of an image, checksums, ext4 images made with mkfs.ext4.

package libguestfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

type qemuImgInfo struct {
	Format        string `json:"format"`
	VirtualSize   int64  `json:"virtual-size"`
	BackingFile   string `json:"backing-filename"`
	BackingFormat string `json:"backing-filename-format"`
}

func qemuImg(ctx context.Context, file string) (*qemuImgInfo, error) {
	out, err := exec.CommandContext(ctx, "qemu-img", "info", "-U", "--output=json", file).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("qemu-img info %s: %w: %s", file, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("qemu-img info %s: %w", file, err)
	}
	var info qemuImgInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("qemu-img info %s: %w", file, err)
	}
	return &info, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// mkfsImage makes a 64 MiB raw image holding an ext4 filesystem labelled root
// with the contents of dir, with the host's mkfs.ext4 (no libguestfs).
func mkfsImage(ctx context.Context, image, dir string) error {
	f, err := os.OpenFile(image, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	err = f.Truncate(64 << 20)
	f.Close()
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-L", "root", "-d", dir, image).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mkfs.ext4: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// hostImage makes a logical disk of the scenario's pool on the host, without
// libguestfs: fill writes the files into a scratch tree, mkfs.ext4 -d packs it.
func (w *world) hostImage(ctx context.Context, logical string, fill func(dir string) error) error {
	p, err := w.gfsDisk(logical)
	if err != nil {
		return err
	}
	dir, err := w.ScratchDir("tree-" + logical)
	if err != nil {
		return err
	}
	if err := fill(dir); err != nil {
		return err
	}
	return mkfsImage(ctx, p, dir)
}
