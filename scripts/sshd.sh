#!/usr/bin/env bash
# An sshd on the loopback for the qemu+ssh runs of make test, with a key pair made
# for the test. Everything lives in /run/ovacts-sshd: its own host key, its own
# authorized_keys and known_hosts, and an ssh wrapper that uses them, so root's
# ~/.ssh is never read or written.
#
#   sshd.sh start    idempotent; prints nothing else when it is already running
#   sshd.sh stop     stops it and removes its directory
#   sshd.sh uri      the qemu+ssh URI that reaches this machine's libvirtd through it
#
# Env: OVACTS_SSHD_PORT (default 2222).
set -euo pipefail

PORT=${OVACTS_SSHD_PORT:-2222}
DIR=/run/ovacts-sshd

log() { printf 'sshd: %s\n' "$*"; }
die() { printf 'sshd: %s\n' "$*" >&2; exit 1; }
alive() { [ -s "$DIR/sshd.pid" ] && kill -0 "$(cat "$DIR/sshd.pid")" 2>/dev/null; }
uri() { echo "qemu+ssh://root@127.0.0.1:$PORT/system?command=$DIR/ssh"; }

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  if alive && "$DIR/ssh" -p "$PORT" root@127.0.0.1 true 2>/dev/null; then
    log "running ($(uri))"
    return 0
  fi
  stop
  command -v /usr/sbin/sshd >/dev/null || die "no /usr/sbin/sshd (scripts/setup.sh installs openssh-server)"
  mkdir -p "$DIR" /run/sshd
  chmod 0700 "$DIR"
  ssh-keygen -q -t ed25519 -N '' -C ovacts-host -f "$DIR/host_key"
  ssh-keygen -q -t ed25519 -N '' -C ovacts-test -f "$DIR/id_ed25519"
  # A second key that is not authorized: the auth-failure test uses it.
  ssh-keygen -q -t ed25519 -N '' -C ovacts-stranger -f "$DIR/stranger_ed25519"
  cp "$DIR/id_ed25519.pub" "$DIR/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$DIR/host_key.pub")" > "$DIR/known_hosts"
  cat > "$DIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel ERROR
EOF
  cat > "$DIR/ssh_config" <<EOF
Host *
  IdentityFile $DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
EOF
  # libvirt runs "ssh ..." by the name in ?command=: this wrapper adds the config.
  printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$DIR/ssh_config" > "$DIR/ssh"
  sed "s|IdentityFile .*|IdentityFile $DIR/stranger_ed25519|" "$DIR/ssh_config" > "$DIR/stranger_config"
  printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$DIR/stranger_config" > "$DIR/stranger-ssh"
  chmod 0755 "$DIR/ssh" "$DIR/stranger-ssh"
  /usr/sbin/sshd -f "$DIR/sshd_config" -E "$DIR/sshd.log"
  for _ in $(seq 1 50); do
    if "$DIR/ssh" -p "$PORT" root@127.0.0.1 true 2>/dev/null; then
      log "ready: $(uri)"
      return 0
    fi
    sleep 0.1
  done
  cat "$DIR/sshd.log" >&2 || true
  die "sshd did not accept the test key on 127.0.0.1:$PORT"
}

stop() {
  if alive; then
    kill "$(cat "$DIR/sshd.pid")" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop; log "stopped" ;;
  uri) uri ;;
  *) echo "usage: sshd.sh start|stop|uri" >&2; exit 2 ;;
esac
