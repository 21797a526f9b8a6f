#!/usr/bin/env bash
# The reference baselines (make baselines; docs/certification.md, "Reference
# baselines and triage"): the full profile, RUNS times on each reference
# generation, each run a bundle signed with the project's key (never a
# vendor's), kept as
#
#   baselines/<set>/libvirt-<major.minor>/run-N
#
#   debian12  this host's qemu:///system, with the peer of scripts/peer.sh
#   debian13  the Debian 13 daemons of scripts/trixie.sh: a libvirt_dlopen
#             build of ovacts run inside the main instance, with its peer
#
# A generation already under baselines/<set>/ is never overwritten: remove it
# to make it again. At the end, ovacts triage reads the new baselines back with
# PROJECT_PUB, so a key pair that does not match fails here, not at a vendor's.
#
# Env: BIN (bin/ovacts), RUNS (3), PROJECT_KEY (the project's private key),
# PROJECT_PUB (baselines/project.pub), OUT (baselines), GENERATIONS
# ("debian12 debian13"; "rehearsal" is libvirt's test driver, for tests),
# PROFILE (full; tests use core).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin/ovacts}
RUNS=${RUNS:-3}
OUT=${OUT:-baselines}
PROJECT_PUB=${PROJECT_PUB:-$OUT/project.pub}
GENERATIONS=${GENERATIONS:-debian12 debian13}
PROFILE=${PROFILE:-full}
PEER_URI=qemu+tcp://127.0.0.1/system
TRIXIE_ROOT=/var/cache/ovacts/trixie/root

die() { printf 'baselines: %s\n' "$*" >&2; exit 1; }
log() { printf 'baselines: %s\n' "$*"; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS=$RUNS: give a number of runs, 1 or more (3 tell a flaky requirement)"
[ -n "${PROJECT_KEY:-}" ] && [ -f "$PROJECT_KEY" ] ||
  die "PROJECT_KEY=${PROJECT_KEY:-} is not a file: the project's private key (ovacts keygen --out ~/.config/ovacts/project; its .pub goes to $PROJECT_PUB)"
[ -f "$PROJECT_PUB" ] || die "$PROJECT_PUB is missing: the project's public key, committed with the baselines"
[ -x "$BIN" ] || die "$BIN is missing (make build)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/ovacts-baselines.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# stackprop DIR NAME: a property of a bundle's stack.json.
stackprop() { sed -n "s/^  \"$2\": \"\(.*\)\",\{0,1\}\$/\1/p" "$1/stack.json"; }

# product NAME: the product description of a reference stack.
product() {
  printf 'vendor: ovacts project\nproduct: reference stack %s\nversion: "%s"\nurl: https://github.com/ovacts/ovacts/blob/main/docs/findings.md\n' "$1" "$("$BIN" version | awk '{print $2}')" >"$STAGE/$1.yaml"
}

# keep GEN RUNDIR...: moves the runs to OUT/<set>/libvirt-<major.minor>/run-N.
keep() {
  local gen=$1; shift
  local set lv dest
  set=$(stackprop "$1" requirements.set)
  lv=$(stackprop "$1" libvirt.daemon)
  [ -n "$set" ] && [ -n "$lv" ] || die "$gen: the first run's stack.json names no set or libvirt"
  dest=$OUT/$set/libvirt-$(cut -d. -f1,2 <<<"$lv")
  [ -e "$dest" ] && die "$dest exists: a generation's baselines are never overwritten (remove it to make it again)"
  mkdir -p "$dest"
  local n=1
  for r in "$@"; do
    [ "$(stackprop "$r" libvirt.daemon)" = "$lv" ] || die "$gen: run $r ran another libvirt than the first"
    mv "$r" "$dest/run-$n"
    n=$((n + 1))
  done
  log "$gen: $RUNS runs in $dest"
  KEPT+=("$dest/run-1")
}

# check RC: a run's verdict may be anything (0, 1, or 4 for a rehearsal);
# 2, 3 and above 4 are errors.
check() { case "$1" in 0 | 1 | 4) ;; *) die "$2: ovacts exited $1 (not a verdict: see its output above)" ;; esac; }

# local_runs GEN URI [FLAG...]: RUNS runs of this host's ovacts against URI.
local_runs() {
  local gen=$1 uri=$2; shift 2
  product "$gen"
  local runs=()
  for i in $(seq "$RUNS"); do
    log "$gen: run $i of $RUNS"
    local rc=0
    "$BIN" run --uri "$uri" "$@" --profile "$PROFILE" --bundle "$STAGE/$gen-$i" \
      --product "$STAGE/$gen.yaml" --sign-key "$PROJECT_KEY" >"$STAGE/$gen-$i.out" 2>&1 || rc=$?
    tail -n 2 "$STAGE/$gen-$i.out"
    check "$rc" "$gen run $i"
    runs+=("$STAGE/$gen-$i")
  done
  keep "$gen" "${runs[@]}"
}

debian12() {
  bash scripts/peer.sh status >/dev/null || die "the peer does not answer (make setup)"
  local_runs debian12 qemu:///system --peer-uri "$PEER_URI"
}

# rehearsal: libvirt's test driver, for the tests of this script and of
# triage (its bundles say they are rehearsals; they stand for no stack).
rehearsal() { local_runs rehearsal test:///default; }

debian13() {
  bash scripts/trixie.sh status >/dev/null || die "the Debian 13 daemons do not answer (make setup)"
  local peer inside here
  peer=$(bash scripts/trixie.sh uri peer)
  # The binary, key and product go into the root, in a directory of the run's
  # own (0700), removed at the end; the bundles come back out.
  here=$(mktemp -d "$TRIXIE_ROOT/var/tmp/ovacts-baselines.XXXXXX")
  inside=${here#"$TRIXIE_ROOT"}
  trap 'rm -rf "$STAGE" "$here"' EXIT
  CGO_ENABLED=1 go build -trimpath -tags libvirt_dlopen -ldflags "-X main.version=$("$BIN" version | awk '{print $2}')" -o "$here/ovacts" ./cmd/ovacts
  install -m 0600 "$PROJECT_KEY" "$here/project.key"
  product debian13
  cp "$STAGE/debian13.yaml" "$here/product.yaml"
  local runs=()
  for i in $(seq "$RUNS"); do
    log "debian13: run $i of $RUNS"
    local rc=0
    bash scripts/trixie.sh exec main "$inside/ovacts" run --uri qemu:///system --peer-uri "$peer" --profile "$PROFILE" \
      --bundle "$inside/run-$i" --product "$inside/product.yaml" --sign-key "$inside/project.key" >"$STAGE/debian13-$i.out" 2>&1 || rc=$?
    tail -n 3 "$STAGE/debian13-$i.out"
    check "$rc" "debian13 run $i"
    mv "$here/run-$i" "$STAGE/debian13-$i"
    runs+=("$STAGE/debian13-$i")
  done
  rm -rf "$here"
  keep debian13 "${runs[@]}"
}

KEPT=()
for g in $GENERATIONS; do
  case "$g" in
    debian12 | debian13 | rehearsal) "$g" ;;
    *) die "no reference generation $g (debian12, debian13; rehearsal for tests)" ;;
  esac
done
# Read back: every run checks out with the committed public key.
for r in "${KEPT[@]}"; do
  "$BIN" triage "$r" --baselines "$OUT" --project-key "$PROJECT_PUB" >/dev/null ||
    die "ovacts triage refuses the new baselines with $PROJECT_PUB: is PROJECT_KEY its private key?"
done
log "done: triage a vendor's bundle with: $BIN triage BUNDLE --baselines $OUT"
