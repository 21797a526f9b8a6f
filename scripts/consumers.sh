#!/usr/bin/env bash
# Installs the real consumers of ovacts' reports that make test feeds them to:
# Debian's python3-junitparser, and (from npm, pinned by scripts/consumers/
# package-lock.json) junit2json, multiple-cucumber-html-reporter and
# gitlab-ci-local (which validates docs/ci/gitlab-ci.yml by GitLab's schema), into
# $OVACTS_CONSUMERS_DIR (default /var/cache/ovacts/consumers). Idempotent: an
# install whose lock file matches is kept.
set -euo pipefail
here=$(cd "$(dirname "$0")/consumers" && pwd)
dest=${OVACTS_CONSUMERS_DIR:-/var/cache/ovacts/consumers}
log() { printf 'consumers: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "consumers: must run as root (installs packages)" >&2
  exit 2
fi
need=()
dpkg-query -W -f='${Status}' python3-junitparser 2>/dev/null | grep -q 'install ok installed' || need+=(python3-junitparser)
# Node.js and npm: whatever the machine has, else Debian's.
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  log "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ -f "$dest/package-lock.json" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json" && [ -d "$dest/node_modules" ]; then
  log "present in $dest"
  exit 0
fi
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
log "npm ci in $dest"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
log "installed in $dest"
