#!/usr/bin/env bash
# A second libvirt stack on this machine: the migration destination of the
# migration scenarios, and the endpoint of the qemu+tcp runs. libvirt refuses to
# migrate a domain to the daemon it comes from, so the peer runs in its own mount
# and UTS namespaces, with its own hostname, host_uuid, configuration and state
# directories, and listens on TCP on the loopback only (auth_tcp="none").
#
#   peer.sh start    idempotent: a live, answering peer is left alone
#   peer.sh stop     stops the peer's libvirtd, virtlogd and domains, and removes its state
#   peer.sh status   exit 0 when the peer answers
#
# Env: OVACTS_PEER_PORT (default 16509), OVACTS_PEER_ROOT (default /var/lib/ovacts-peer).
set -euo pipefail
# shellcheck source=scripts/stacklib.sh
. "$(dirname "$0")/stacklib.sh"

PORT=${OVACTS_PEER_PORT:-16509}
ROOT=${OVACTS_PEER_ROOT:-/var/lib/ovacts-peer}
RUN=/run/ovacts-peer
URI="qemu+tcp://127.0.0.1:$PORT/system"
NAME=ovacts-peer

log() { printf 'peer: %s\n' "$*"; }
die() { printf 'peer: %s\n' "$*" >&2; exit 1; }
answers() { timeout 10 virsh -c "$URI" version >/dev/null 2>&1; }

stop() {
  # The peer's QEMU processes outlive its libvirtd: find them by its mount namespace.
  local ns="" pids=()
  if alive "$RUN/libvirtd.pid"; then
    ns=$(readlink "/proc/$(cat "$RUN/libvirtd.pid")/ns/mnt" || true)
  fi
  if [ -n "$ns" ]; then
    for q in $(pgrep -f '^/usr/bin/qemu-system' || true); do
      [ "$(readlink "/proc/$q/ns/mnt" 2>/dev/null)" = "$ns" ] && pids+=("$q")
    done
  fi
  for p in "$RUN/libvirtd.pid" "$RUN/tini.pid" "$RUN/virtlogd.pid"; do
    if alive "$p"; then
      kill "$(cat "$p")" 2>/dev/null || true
    fi
  done
  for _ in $(seq 1 50); do
    alive "$RUN/libvirtd.pid" || alive "$RUN/virtlogd.pid" || break
    sleep 0.1
  done
  for p in "$RUN/libvirtd.pid" "$RUN/tini.pid" "$RUN/virtlogd.pid"; do
    if alive "$p"; then kill -9 "$(cat "$p")" 2>/dev/null || true; fi
    rm -f "$p"
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  if alive "$RUN/libvirtd.pid" && answers; then
    log "running ($URI)"
    return 0
  fi
  stop
  if port_taken "$PORT"; then
    die "port $PORT is taken by another process: set OVACTS_PEER_PORT"
  fi
  mkdir -p "$RUN/run" "$ROOT"
  # Configuration: the host's daemon and driver settings, none of its objects.
  rm -rf "$ROOT/etc"
  mkdir -p "$ROOT/etc"
  cp -a /etc/libvirt/*.conf "$ROOT/etc/"
  cp -a /etc/libvirt/nwfilter "$ROOT/etc/" 2>/dev/null || true
  mkdir -p "$ROOT/etc/qemu/networks/autostart" "$ROOT/etc/storage/autostart" "$ROOT/etc/secrets"
  [ -s "$ROOT/host_uuid" ] || cat /proc/sys/kernel/random/uuid > "$ROOT/host_uuid"
  cat >> "$ROOT/etc/libvirtd.conf" <<EOF

# ovacts peer (scripts/peer.sh)
$(tcp_listener "$PORT" "$(cat "$ROOT/host_uuid")")
EOF
  # Its migration ports must not collide with the host daemon's (49152-49215).
  # Sources reach it at 127.0.0.2: its own hostname resolves nowhere, and libvirt
  # refuses 127.0.0.1 as a migration_host ("must not be the address of the local
  # machine") while the rest of 127.0.0.0/8 is the loopback too.
  cat >> "$ROOT/etc/qemu.conf" <<EOF

# ovacts peer (scripts/peer.sh)
migration_port_min = 49300
migration_port_max = 49363
migration_host = "127.0.0.2"
EOF
  for d in lib log cache; do
    src=/var/$d/libvirt
    [ -d "$src" ] || mkdir -p "$src"
    [ -d "$ROOT/$d" ] || mkskel "$src" "$ROOT/$d"
  done
  # The peer's images directory: pools of migrated disks are made there.
  mkdir -p "$ROOT/lib/images"

  unshare --mount --uts --propagation private -- /bin/sh -c "
    set -e
    hostname $NAME
    mount --bind '$ROOT/etc' /etc/libvirt
    mount --bind '$ROOT/lib' /var/lib/libvirt
    mount --bind '$ROOT/log' /var/log/libvirt
    mount --bind '$ROOT/cache' /var/cache/libvirt
    mount --bind '$RUN/run' /run/libvirt
    virtlogd -d -p '$RUN/virtlogd.pid'
    setsid tini -s -- libvirtd -l -p '$RUN/libvirtd.pid' >>'$ROOT/libvirtd.log' 2>&1 </dev/null &
    echo \$! > '$RUN/tini.pid'
  "
  for _ in $(seq 1 300); do
    if answers; then
      log "ready: $URI (hostname $NAME, host_uuid $(cat "$ROOT/host_uuid"))"
      return 0
    fi
    sleep 0.1
  done
  tail -5 "$ROOT/libvirtd.log" >&2 || true
  die "the peer libvirtd did not answer on $URI within 30 s"
}

case "${1:-}" in
  start) start ;;
  stop) stop; rm -rf "${ROOT:?}" "$RUN"; log "stopped, state removed" ;;
  status) answers && log "running ($URI)" ;;
  *) echo "usage: peer.sh start|stop|status" >&2; exit 2 ;;
esac
