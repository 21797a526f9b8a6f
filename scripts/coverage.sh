#!/bin/bash
# make coverage: the share of libvirt's public API the scenarios enter, on
# test:///default and on this machine's qemu:///system (with the peer), and
# on the selection make test's strict real-stack run takes; writes
# docs/api-coverage.json and docs/api-coverage.md. A run's verdict does not
# matter here (exit 0, 1 or 3); a run that does not start (2) does.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/ovacts}
OUT=${OUT:-out}
PEER=qemu+tcp://127.0.0.1/system
STRICT="not @kvm and not @ovirt-host and not @guestfs and not @ovirt-engine"
mkdir -p "$OUT"
args=()
measure() { # key title run-args...
  local key=$1 title=$2; shift 2
  local report="$OUT/api-coverage-$key.json"
  rm -f "$report"
  echo "coverage: $title"
  "$BIN" run "$@" --api-coverage "$report" > "$OUT/api-coverage-$key.log" 2>&1
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 3 ]; then
    echo "coverage: the run did not complete (exit $rc):"; tail -5 "$OUT/api-coverage-$key.log"; exit 1
  fi
  local cmd="ovacts run"
  for a in "$@"; do case $a in *" "*) cmd+=" '$a'";; *) cmd+=" $a";; esac; done
  args+=("$key=$title=$cmd=$report")
}
measure test "test:///default, full profile" --uri test:///default --profile full
measure qemu "qemu:///system with the peer, full profile" --uri qemu:///system --peer-uri "$PEER" --profile full
measure strict "qemu:///system with the peer, make test's strict run" --uri qemu:///system --peer-uri "$PEER" --profile full --tags "$STRICT" --concurrency 4
go run ./cmd/apicov -o docs/api-coverage "${args[@]}"
