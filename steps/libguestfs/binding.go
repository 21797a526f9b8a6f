//go:build guestfs

package libguestfs

import (
	"fmt"

	"libguestfs.org/guestfs"
)

// gfsBinding adapts the libguestfs Go binding (Debian's golang-guestfs-dev,
// built in with -tags guestfs) to gfsHandle.
type gfsBinding struct{ g *guestfs.Guestfs }

func newGuestfs() (gfsHandle, error) {
	g, err := guestfs.Create()
	if err != nil {
		return nil, fmt.Errorf("creating a libguestfs handle: %w", err)
	}
	g.Quiet() // errors come back as values, not also on stderr
	return &gfsBinding{g: g}, nil
}

// gerr turns the binding's typed error into a plain error; a nil
// *GuestfsError must not become a non-nil error interface.
func gerr(e *guestfs.GuestfsError) error {
	if e == nil {
		return nil
	}
	return e
}

func (b *gfsBinding) Version() (string, error) {
	v, err := b.g.Version()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d.%d%s", v.Major, v.Minor, v.Release, v.Extra), nil
}

func (b *gfsBinding) SetBackend(s string) error { return b.g.Set_backend(s) }

func (b *gfsBinding) Backend() (string, error) { return b.g.Get_backend() }

func (b *gfsBinding) SetBackendSettings(s []string) error { return b.g.Set_backend_settings(s) }

func (b *gfsBinding) BackendSettings() ([]string, error) { return b.g.Get_backend_settings() }

func (b *gfsBinding) Launch() error { return b.g.Launch() }

func (b *gfsBinding) PID() (int, error) { return b.g.Get_pid() }

func (b *gfsBinding) Devices() ([]string, error) { return b.g.List_devices() }

func (b *gfsBinding) Partitions() ([]string, error) { return b.g.List_partitions() }

func (b *gfsBinding) PartDisk(dev string) error { return b.g.Part_disk(dev, "mbr") }

func (b *gfsBinding) Mkfs(fstype, dev string) error { return b.g.Mkfs(fstype, dev, nil) }

func (b *gfsBinding) Write(path string, data []byte) error { return b.g.Write(path, data) }

func (b *gfsBinding) ReadFile(path string) ([]byte, error) { return b.g.Read_file(path) }

func (b *gfsBinding) Checksum(kind, path string) (string, error) {
	return b.g.Checksum(kind, path)
}

func (b *gfsBinding) UmountAll() error { return b.g.Umount_all() }

func (b *gfsBinding) Sync() error { return b.g.Sync() }

func (b *gfsBinding) InspectOS() ([]string, error) { return b.g.Inspect_os() }

func (b *gfsBinding) Shutdown() error { return b.g.Shutdown() }

func (b *gfsBinding) Close() error { return gerr(b.g.Close()) }

func (b *gfsBinding) Mount(dev, mountpoint string, readonly bool) error {
	if readonly {
		return b.g.Mount_ro(dev, mountpoint)
	}
	return b.g.Mount(dev, mountpoint)
}

func (b *gfsBinding) AddDrive(path, format string, readonly bool) error {
	return b.g.Add_drive(path, &guestfs.OptargsAdd_drive{
		Format_is_set: format != "", Format: format,
		Readonly_is_set: true, Readonly: readonly,
	})
}

func (b *gfsBinding) AddDomain(name, uri string, readonly bool) (int, error) {
	return b.g.Add_domain(name, &guestfs.OptargsAdd_domain{
		Libvirturi_is_set: uri != "", Libvirturi: uri,
		Readonly_is_set: true, Readonly: readonly,
	})
}

func (b *gfsBinding) DiskCreate(path, format string, size int64, backing, backingFormat string) error {
	return b.g.Disk_create(path, format, size, &guestfs.OptargsDisk_create{
		Backingfile_is_set: backing != "", Backingfile: backing,
		Backingformat_is_set: backingFormat != "", Backingformat: backingFormat,
	})
}

func (b *gfsBinding) Inspect(root string) (gfsInspection, error) {
	var in gfsInspection
	var err error
	str := func(dst *string, f func(string) (string, error)) {
		if err == nil {
			*dst, err = f(root)
		}
	}
	num := func(dst *int, f func(string) (int, error)) {
		if err == nil {
			*dst, err = f(root)
		}
	}
	str(&in.Type, b.g.Inspect_get_type)
	str(&in.Distro, b.g.Inspect_get_distro)
	num(&in.Major, b.g.Inspect_get_major_version)
	num(&in.Minor, b.g.Inspect_get_minor_version)
	str(&in.Hostname, b.g.Inspect_get_hostname)
	str(&in.Arch, b.g.Inspect_get_arch)
	str(&in.PackageFormat, b.g.Inspect_get_package_format)
	str(&in.PackageManagement, b.g.Inspect_get_package_management)
	return in, err
}
