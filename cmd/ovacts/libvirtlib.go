package main

import (
	"strings"

	"libvirt.org/go/libvirt"
)

// needLibvirt checks that libvirt's client library can be used. A build with
// libvirt_dlopen (the released binary) loads libvirt.so.0 only now: where it
// is missing, say which package brings it rather than failing on the first
// call with the dynamic loader's words.
func needLibvirt() error {
	_, err := libvirt.GetVersion()
	if err != nil && strings.Contains(err.Error(), "libvirt.so.0") {
		return usage("libvirt's client library libvirt.so.0 cannot be loaded (%s): install it (Debian, Ubuntu: libvirt0; Fedora, RHEL: libvirt-libs)", oneLine(err.Error()))
	}
	return nil
}
