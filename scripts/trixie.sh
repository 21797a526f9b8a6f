#!/usr/bin/env bash
# The newer libvirt generation beside the host's: Debian 13 "trixie" (libvirt
# 11, QEMU 10) in a root of its own, each of its libvirtd started in its own
# mount and UTS namespaces, chrooted, the way scripts/peer.sh runs the peer. It
# shares the host's network (loopback TCP on ports of its own, its own migration
# ports, the suite's networks on subnets of their own) and /dev (loop devices,
# /dev/kvm: the root's kvm, libvirt-qemu and tss ids are the host's), and sees
# the host's guest image at the same path, read-only. Its sockets are in
# /run/ovacts-trixie/INST/libvirt on the host (qemu+unix and qemu+ssh reach
# them with ?socket=).
#
# Two daemons run from the one root, each with its own configuration and state
# (as the peer's): "main", the stack under test, and "peer", its migration
# destination of the same generation.
#
#   trixie.sh start [INST]      builds the root when it is missing or the archive
#                               has newer packages (cached under /var/cache/ovacts/trixie,
#                               keyed by their versions), then starts INST (default
#                               both; idempotent: a live, answering daemon is left alone)
#   trixie.sh stop [INST]       stops its libvirtd, virtlogd, domains and helpers
#   trixie.sh status [INST]     exit 0 when it answers
#   trixie.sh exec INST CMD...  runs CMD inside it (its mounts, hostname and root)
#   trixie.sh uri INST          its URI from this host
#   trixie.sh versions          the versions of the root's libvirt and QEMU
#
# Env: OVACTS_TRIXIE_PORT (default 16520; the peer listens on the next port).
set -euo pipefail
# shellcheck source=scripts/stacklib.sh
. "$(dirname "$0")/stacklib.sh"

CACHE=/var/cache/ovacts/trixie
ROOT=$CACHE/root
GUEST=/var/cache/ovacts/guest
# What the stack needs, and what the suite run inside it needs.
PKGS=(libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  dnsmasq-base iptables nftables iproute2 ovmf swtpm swtpm-tools tini libxml2-utils e2fsprogs ca-certificates
  # Debian 12's libvirt-daemon holds these drivers; Debian 13 packages each apart.
  libvirt-daemon-driver-interface libvirt-daemon-driver-storage-disk libvirt-daemon-driver-storage-iscsi
  libvirt-daemon-driver-storage-logical libvirt-daemon-driver-storage-mpath libvirt-daemon-driver-storage-scsi)
# The packages whose versions key the cache.
KEY_PKGS=(libvirt-daemon qemu-system-x86 ovmf swtpm)

# instance INST: its port, hostname, migration ports and address, state and run dirs.
instance() {
  local base=${OVACTS_TRIXIE_PORT:-16520}
  case "$1" in
    main) PORT=$base NAME=ovacts-trixie MIG_MIN=49400 MIG_MAX=49449 MIG_HOST=127.0.0.3 ;;
    peer) PORT=$((base + 1)) NAME=ovacts-trixie-peer MIG_MIN=49450 MIG_MAX=49499 MIG_HOST=127.0.0.4 ;;
    *) echo "trixie: no instance $1 (main or peer)" >&2; exit 2 ;;
  esac
  INST=$1
  STATE=$CACHE/$1
  RUN=/run/ovacts-trixie/$1
  URI="qemu+tcp://127.0.0.1:$PORT/system"
}

log() { printf 'trixie: %s\n' "$*"; }
die() { printf 'trixie: %s\n' "$*" >&2; exit 1; }
answers() { timeout 10 virsh -c "$URI" version >/dev/null 2>&1; }
mirror() { sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1 | grep . || echo http://deb.debian.org/debian; }
in_root() { chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "${@:2}"; }

# versions ROOT: "pkg=version ..." of the key packages installed in ROOT.
versions() { in_root "$1" dpkg-query -W -f='${Package}=${Version}\n' "${KEY_PKGS[@]}" 2>/dev/null | sort | paste -sd' '; }

# candidates ROOT: the same, of what the archive offers now.
candidates() {
  in_root "$1" apt-get update -qq >/dev/null 2>&1 || return 1
  for p in "${KEY_PKGS[@]}"; do
    printf '%s=%s\n' "$p" "$(in_root "$1" apt-cache policy "$p" | sed -n 's/^ *Candidate: *//p')"
  done | sort | paste -sd' '
}

# with_proc ROOT CMD...: CMD with the root's /proc mounted (apt and dpkg need it).
with_proc() {
  local root=$1; shift
  mount -t proc proc "$root/proc"
  local rc=0
  "$@" || rc=$?
  umount "$root/proc"
  return $rc
}

# install_pkgs ROOT PKG...: the packages, without their recommendations.
install_pkgs() {
  local root=$1; shift
  with_proc "$root" in_root "$root" apt-get install -y -qq --no-install-recommends "$@" > "$CACHE/apt.log" 2>&1 ||
    { tail -5 "$CACHE/apt.log" >&2; die "installing in the root failed (log: $CACHE/apt.log)"; }
}

# align_ids ROOT: the groups and users that own /dev/kvm, QEMU's files and
# swtpm's state get the host's ids, before the packages would pick others.
align_ids() {
  local root=$1 g u gid uid
  for g in kvm libvirt tss libvirt-qemu; do
    gid=$(getent group "$g" | cut -d: -f3) || continue
    if in_root "$root" getent group "$g" >/dev/null; then
      in_root "$root" groupmod -g "$gid" "$g"
    else
      in_root "$root" groupadd --system -g "$gid" "$g"
    fi
  done
  for u in tss libvirt-qemu; do
    uid=$(id -u "$u" 2>/dev/null) || continue
    gid=$(id -g "$u")
    in_root "$root" getent passwd "$u" >/dev/null ||
      in_root "$root" useradd --system -u "$uid" -g "$gid" -d /nonexistent -s /usr/sbin/nologin "$u"
  done
}

build() {
  local new=$CACHE/root.new
  rm -rf "$new"
  mkdir -p "$CACHE"
  log "building a Debian 13 root in $new ($(mirror))"
  debootstrap --variant=minbase trixie "$new" "$(mirror)" > "$CACHE/debootstrap.log" 2>&1 ||
    { tail -5 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  # Packages install without starting services.
  printf '#!/bin/sh\nexit 101\n' > "$new/usr/sbin/policy-rc.d"
  chmod +x "$new/usr/sbin/policy-rc.d"
  align_ids "$new"
  install_pkgs "$new" "${PKGS[@]}"
  in_root "$new" apt-get clean
  # Daemons running from the old root stop before it goes.
  local i
  for i in main peer; do (instance "$i"; stop); done
  rm -rf "$ROOT"
  mv "$new" "$ROOT"
  log "root built: $(versions "$ROOT")"
}

# ensure_root: builds the root when it is missing or the archive moved on, and
# adds packages the list gained since it was built.
ensure_root() {
  if [ ! -x "$ROOT/usr/sbin/libvirtd" ]; then
    build
    return
  fi
  local have want p missing=()
  for p in "${PKGS[@]}"; do
    in_root "$ROOT" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing in the root: ${missing[*]}"
    install_pkgs "$ROOT" "${missing[@]}"
  fi
  have=$(versions "$ROOT")
  if ! want=$(candidates "$ROOT"); then
    log "the archive is not reachable: keeping the cached root ($have)"
    return
  fi
  if [ "$have" != "$want" ]; then
    log "the archive has $want (the root has $have): rebuilding"
    build
  fi
}

# configure: the instance's configuration (the root's, plus its own lines,
# written at each start) and state directories, outside the cached root.
configure() {
  mkdir -p "$STATE"
  [ -s "$STATE/host_uuid" ] || cat /proc/sys/kernel/random/uuid > "$STATE/host_uuid"
  rm -rf "$STATE/etc"
  cp -a "$ROOT/etc/libvirt" "$STATE/etc"
  cat >> "$STATE/etc/libvirtd.conf" <<EOF

# ovacts trixie $INST (scripts/trixie.sh)
$(tcp_listener "$PORT" "$(cat "$STATE/host_uuid")")
EOF
  # QEMU's per-domain mount namespace cannot be made inside a chroot (libvirt
  # builds a private /dev there, where /dev/kvm and the ptys are then missing):
  # the one setting where this stack differs from a stock one.
  cat >> "$STATE/etc/qemu.conf" <<EOF

# ovacts trixie $INST (scripts/trixie.sh)
namespaces = [ ]
migration_port_min = $MIG_MIN
migration_port_max = $MIG_MAX
migration_host = "$MIG_HOST"
EOF
  for d in lib log cache; do
    [ -d "$STATE/$d" ] || mkskel "$ROOT/var/$d/libvirt" "$STATE/$d"
  done
  mkdir -p "$STATE/lib/images" "$ROOT$GUEST"
  grep -q ' ovacts-trixie$' "$ROOT/etc/hosts" || printf '127.0.0.3 ovacts-trixie\n' >> "$ROOT/etc/hosts"
  grep -q ' ovacts-trixie-peer$' "$ROOT/etc/hosts" || printf '127.0.0.4 ovacts-trixie-peer\n' >> "$ROOT/etc/hosts"
}

stop() {
  local ns="" pids=() p left
  if alive "$RUN/tini.pid"; then
    ns=$(readlink "/proc/$(cat "$RUN/tini.pid")/ns/mnt" || true)
  fi
  if [ -n "$ns" ]; then
    # Everything in its mount namespace: libvirtd, virtlogd, QEMU, swtpm, dnsmasq.
    for p in /proc/[0-9]*; do
      p=${p#/proc/}
      [ "$p" = "$$" ] && continue
      [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] && pids+=("$p")
    done
  fi
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 50); do
      left=0
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
      [ $left = 0 ] && break
      sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  rm -f "$RUN/tini.pid"
}

start() {
  # A daemon whose root was removed under it (rm -rf /var/cache/ovacts while it
  # ran) still answers, from files that are gone: start it again.
  if alive "$RUN/tini.pid" && [ ! -x "$ROOT/usr/sbin/libvirtd" ]; then
    log "$INST runs from a root that is gone: restarting it"
    stop
  fi
  if alive "$RUN/tini.pid" && answers; then
    log "$INST running ($URI)"
    return 0
  fi
  stop
  if port_taken "$PORT"; then
    die "port $PORT is taken by another process: set OVACTS_TRIXIE_PORT"
  fi
  configure
  rm -rf "$RUN/libvirt"
  mkdir -p "$RUN/libvirt"
  # The guest image's directory is bound in even when empty: make guest may
  # build it after this daemon starts (make test runs setup first), and the
  # bind shows what is written there later.
  mkdir -p "$GUEST" "$ROOT$GUEST"
  # Its root must be a mount point (libvirt makes mounts under / slave), with
  # the host's /proc, /sys and /dev, a /run and /tmp of its own, its state,
  # and the guest image.
  unshare --mount --uts --propagation private -- /bin/sh -c "
    set -e
    hostname $NAME
    mount --bind '$ROOT' '$ROOT'
    mount --rbind /proc '$ROOT/proc'
    mount --rbind /sys '$ROOT/sys'
    mount --rbind /dev '$ROOT/dev'
    mount -t tmpfs -o mode=755 tmpfs '$ROOT/run'
    mkdir -p '$ROOT/run/lock' '$ROOT/run/libvirt'
    mount --bind '$RUN/libvirt' '$ROOT/run/libvirt'
    mount -t tmpfs -o mode=1777 tmpfs '$ROOT/tmp'
    mount --bind '$STATE/etc' '$ROOT/etc/libvirt'
    mount --bind '$STATE/lib' '$ROOT/var/lib/libvirt'
    mount --bind '$STATE/log' '$ROOT/var/log/libvirt'
    mount --bind '$STATE/cache' '$ROOT/var/cache/libvirt'
    mount --rbind '$GUEST' '$ROOT$GUEST'
    mount -o remount,bind,ro '$ROOT$GUEST'
    chroot '$ROOT' /usr/sbin/virtlogd -d
    setsid chroot '$ROOT' /usr/bin/tini -s -- /usr/sbin/libvirtd -l >>'$STATE/libvirtd.log' 2>&1 </dev/null &
    echo \$! > '$RUN/tini.pid'
  "
  for _ in $(seq 1 300); do
    if answers; then
      log "$INST ready: $URI (hostname $NAME; $(versions "$ROOT"))"
      return 0
    fi
    sleep 0.1
  done
  tail -5 "$STATE/libvirtd.log" >&2 || true
  die "the $INST libvirtd did not answer on $URI within 30 s"
}

# run_in CMD...: CMD in the instance's namespaces and root, from its tini.
run_in() {
  alive "$RUN/tini.pid" || die "$INST is not running (trixie.sh start)"
  exec nsenter --target "$(cat "$RUN/tini.pid")" --mount --uts --root --wd=/ -- /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
insts=(main peer)
case "$cmd" in
  start|stop|status) [ $# -gt 0 ] && insts=("$@") ;;
  exec|uri) [ $# -gt 0 ] || { echo "usage: trixie.sh $cmd INST ..." >&2; exit 2; }; insts=("$1"); shift ;;
esac
case "$cmd" in
  start)
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    command -v debootstrap >/dev/null || die "debootstrap is not installed (make setup installs it)"
    ensure_root
    for i in "${insts[@]}"; do instance "$i"; start; done ;;
  stop) for i in "${insts[@]}"; do instance "$i"; stop; log "$i stopped"; done ;;
  status) for i in "${insts[@]}"; do instance "$i"; answers && log "$i running ($URI)"; done ;;
  exec) instance "${insts[0]}"; run_in "$@" ;;
  uri) instance "${insts[0]}"; echo "$URI" ;;
  versions) versions "$ROOT"; echo ;;
  *) echo "usage: trixie.sh start|stop|status [INST] | exec INST CMD... | uri INST | versions" >&2; exit 2 ;;
esac
