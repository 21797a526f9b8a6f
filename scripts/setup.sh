#!/usr/bin/env bash
# Idempotent host setup for ovacts on Debian 12 as root without systemd:
# installs the packages, makes /dev/kvm usable by the kvm group, starts virtlogd and libvirtd.
# Every step checks first, so running it twice is cheap.
#   setup.sh             everything (what `make test` needs): also libguestfs, the peer
#                        libvirtd (scripts/peer.sh), the loopback sshd (scripts/sshd.sh) and
#                        the reports' consumers (scripts/consumers.sh)
#   setup.sh --packages  only the packages (what `make run` on test:///default needs)
#   setup.sh --guest     only the tools fixtures/guest/build.sh needs (make guest)
set -euo pipefail
packages_only=false
guest_only=false
[ "${1:-}" = "--packages" ] && packages_only=true
[ "${1:-}" = "--guest" ] && guest_only=true

log() { printf 'setup: %s\n' "$*"; }

PKGS=(
  gcc pkg-config make
  libvirt-dev libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils
  dnsmasq-base iptables
  tini
  libxml2-utils
)
# make test's remote runs: qemu+ssh through an sshd on the loopback (scripts/sshd.sh).
# On this kind of machine nothing starts it but that script (policy-rc.d, no systemd).
# netcat: a qemu+ssh URI with ?socket= (the Debian 13 stack's socket) has the
# remote end run "nc -U".
REMOTE_PKGS=(openssh-server openssh-client netcat-openbsd)
# The newer generation (scripts/trixie.sh) is built with debootstrap.
NEWER_PKGS=(debootstrap)
# make release builds linux/arm64 with Debian's cross compiler; make test runs
# that binary under qemu-user with the arm64 C library.
# rpm: the release test reads the .rpm's files and dependencies (rpm -qpl, -qpR)
# to compare them with the .deb's.
RELEASE_PKGS=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user file rpm)
# make test loads the published compatibility matrix in a real headless browser.
BROWSER_PKGS=(chromium)
# The tiny guest is built from Debian packages that are downloaded, never installed
# (linux-image-amd64, busybox-static, qemu-guest-agent); these tools unpack and pack them.
GUEST_PKGS=(cpio xz-utils)
# The libguestfs area: the library, its tools and Go binding (scripts/guestfs-module.sh
# makes it a module at build time), virt-v2v for OVA input, xmllint for the RELAX NG
# check, mkfs.ext4 for the images the suite writes, and a host kernel: supermin
# builds the appliance from the host's /boot and /lib/modules, which this kind of
# machine lacks until linux-image-amd64 is installed.
GUESTFS_PKGS=(libguestfs-tools golang-guestfs-dev guestfs-tools virt-v2v libxml2-utils e2fsprogs linux-image-amd64)
# The firmware area: swtpm for emulated TPMs, OVMF for UEFI guests.
FIRMWARE_PKGS=(swtpm swtpm-tools ovmf)
if $guest_only; then
  PKGS=("${GUEST_PKGS[@]}")
elif ! $packages_only; then
  PKGS+=("${GUEST_PKGS[@]}" "${REMOTE_PKGS[@]}" "${BROWSER_PKGS[@]}" "${GUESTFS_PKGS[@]}" "${FIRMWARE_PKGS[@]}" "${NEWER_PKGS[@]}" "${RELEASE_PKGS[@]}")
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Root only to install or start something: with every package present,
# --packages and --guest (make build, make guest's tools) need none.
if [ "$(id -u)" -ne 0 ] && { [ ${#missing[@]} -gt 0 ] || ! { $packages_only || $guest_only; }; }; then
  echo "setup: must run as root (installs packages${missing:+: ${missing[*]}}; starts libvirtd)" >&2
  exit 2
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # INITRD=No: the kernel package (for supermin) gets no initramfs, which
  # nothing here boots (supermin builds its own) and which takes minutes to make.
  INITRD=No apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "packages present"
fi

if $packages_only || $guest_only; then
  exit 0
fi

# What a broken-stack test killed before its restore left (cmd/ovacts/broken_test.go
# moves a program or directory to NAME.ovacts-broken, or puts a lying script in
# its place with the program at NAME.ovacts-real): put it back.
for moved in /usr/bin/*.ovacts-real /usr/sbin/*.ovacts-real /usr/bin/*.ovacts-broken /usr/sbin/*.ovacts-broken /etc/libvirt/*.ovacts-broken; do
  [ -e "$moved" ] || [ -L "$moved" ] || continue
  orig=${moved%.ovacts-real}; orig=${orig%.ovacts-broken}
  if [ -d "$orig" ] && [ ! -L "$orig" ]; then
    log "left $moved: $orig is a directory again"
    continue
  fi
  rm -f "$orig" && mv "$moved" "$orig" && log "restored $orig (left broken by a killed test)"
done
rm -rf /run/ovacts-liar-* /tmp/ovacts-liar-*

# /dev/kvm: qemu runs as libvirt-qemu (group kvm); the device ships root-only here.
if [ -c /dev/kvm ]; then
  if [ "$(stat -c %G:%a /dev/kvm)" != "kvm:660" ]; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
    log "/dev/kvm now kvm:0660"
  fi
else
  log "no /dev/kvm: domains will use TCG (type qemu)"
fi

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

mkdir -p /var/log/libvirt /run/libvirt
if ! alive /run/virtlogd.pid; then
  virtlogd -d
  log "virtlogd started"
fi

# libvirtd's host UUID comes from SMBIOS. Without it (this kind of machine has
# none) libvirtd invents a new one at each start, and a dead run's ledger no
# longer names the stack it recorded once libvirtd restarted, so nothing of that
# run could be swept. The machine id survives restarts.
conf=/etc/libvirt/libvirtd.conf
if [ ! -r /sys/class/dmi/id/product_uuid ] && [ -s /etc/machine-id ] && ! grep -Eq '^[[:space:]]*host_uuid(_source)?[[:space:]]*=' "$conf"; then
  printf '\n# ovacts setup: no SMBIOS on this machine; a host UUID that survives restarts\nhost_uuid_source = "machine-id"\n' >> "$conf"
  log "libvirtd: host_uuid_source = machine-id (no SMBIOS here)"
  if alive /run/libvirtd.pid; then
    kill "$(cat /run/libvirtd.pid)"
    for _ in $(seq 1 100); do alive /run/libvirtd.pid || break; sleep 0.1; done
    log "libvirtd stopped, to start with the stable host UUID"
  fi
fi

# swtpm's local CA, which signs each emulated TPM's certificates, is the swtpm
# user's (tss): a libvirtd started before swtpm was installed knows no tss and
# runs swtpm_setup as root, which leaves the CA's files root's and every later
# TPM start failing ("Need read/write rights on .../.lock.swtpm-localca").
if [ -d /var/lib/swtpm-localca ] && id tss >/dev/null 2>&1 &&
   [ -n "$(find /var/lib/swtpm-localca ! -user tss -print -quit)" ]; then
  chown -R tss /var/lib/swtpm-localca
  log "swtpm-localca: owned by tss again"
fi

# libvirtd under tini as a subreaper: PID 1 here reaps slowly, which makes every destroy wait ~2 s.
if ! alive /run/libvirtd.pid; then
  rm -f /run/libvirtd.pid
  setsid tini -s -- libvirtd >>/var/log/libvirt/ovacts-libvirtd.log 2>&1 </dev/null &
  log "libvirtd starting"
fi

ready=false
for _ in $(seq 1 300); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    log "libvirtd ready ($(virsh -c qemu:///system version 2>/dev/null | sed -n "s/^Running hypervisor: //p"))"
    ready=true
    break
  fi
  sleep 0.1
done
if ! $ready; then
  echo "setup: libvirtd did not answer on qemu:///system within 30 s; see /var/log/libvirt/ovacts-libvirtd.log" >&2
  exit 1
fi

# The second stack (migration destination, qemu+tcp endpoint) and the loopback sshd.
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/peer.sh" start
# The newer libvirt generation (Debian 13), main and peer (built once, cached).
bash "$here/trixie.sh" start
bash "$here/sshd.sh" start
# The real consumers make test feeds the reports to (JUnit readers, a Cucumber report tool).
bash "$here/consumers.sh"
