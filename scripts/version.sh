#!/bin/bash
# The suite version a build of this checkout is stamped with (make build):
# the release tag at HEAD (vX.Y.Z), else a Go pseudo-version of the commit
# (v0.0.0-<commit time UTC>-<12 hex>), "+dirty" with uncommitted changes.
# Outside a git checkout: nothing, and the binary reads its build info.
set -euo pipefail
cd "$(dirname "$0")/.."
git rev-parse --git-dir >/dev/null 2>&1 || exit 0
dirty=""
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty="+dirty"
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
  echo "$tag$dirty"
  exit 0
fi
when=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S HEAD)
echo "v0.0.0-$when-$(git rev-parse --short=12 HEAD)$dirty"
