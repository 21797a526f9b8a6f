#!/usr/bin/env bash
# Makes the libguestfs Go binding buildable as a module, and prints the go flags
# that build ovacts with it. Prints nothing (and ovacts builds without
# libguestfs, its scenarios skipped with the reason) when the binding is absent.
#
# Debian's golang-guestfs-dev installs one file, without a go.mod, and the module
# proxy refuses libguestfs.org. So, at build time and never committed:
#   out/guestfs-module/guestfs/   module libguestfs.org/guestfs: go.mod, a copy of guestfs.go, and
#                                 ovacts_quiet.go (one method the binding lacks, see below)
#   out/guestfs-module/go.mod     this project's go.mod plus a require and a replace to the above
#   out/guestfs-module/go.sum     this project's go.sum
# and `go build -modfile=out/guestfs-module/go.mod -tags guestfs` uses them.
set -euo pipefail
src=${GUESTFS_GO_SRC:-/usr/share/gocode/src/libguestfs.org/guestfs/guestfs.go}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/out/guestfs-module

if [ ! -r "$src" ]; then
  exit 0
fi
mkdir -p "$out/guestfs"
# Copies, so the module cache never follows a path into /usr; rewritten only on change.
sync_file() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }
sync_file "$src" "$out/guestfs/guestfs.go"
tmp=$(mktemp)
printf 'module libguestfs.org/guestfs\n\ngo 1.18\n' > "$tmp"
sync_file "$tmp" "$out/guestfs/go.mod"
# The binding has no guestfs_set_error_handler: without it libguestfs also prints
# every error on stderr, even ones a scenario expects (a refused write).
cat > "$tmp" <<'GO'
package guestfs

/*
#include <stdlib.h>
#include "guestfs.h"
*/
import "C"

// Quiet stops libguestfs printing errors on stderr; calls still return them.
// Added by ovacts (scripts/guestfs-module.sh); not part of the binding.
func (g *Guestfs) Quiet() {
	if g.g != nil {
		C.guestfs_set_error_handler(g.g, nil, nil)
	}
}
GO
sync_file "$tmp" "$out/guestfs/ovacts_quiet.go"
{
  cat "$root/go.mod"
  printf '\nrequire libguestfs.org/guestfs v0.0.0-00010101000000-000000000000\n'
  printf '\nreplace libguestfs.org/guestfs => %s/guestfs\n' "$out"
} > "$tmp"
sync_file "$tmp" "$out/go.mod"
sync_file "$root/go.sum" "$out/go.sum"
rm -f "$tmp"
printf -- '-modfile=%s/go.mod\n' "$out"
