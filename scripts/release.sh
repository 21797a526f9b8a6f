#!/bin/bash
# make release: the released ovacts for linux/amd64 (and linux/arm64 when a
# cross compiler is installed), built with libvirt_dlopen (libvirt.so.0 is
# loaded at run time, nothing of libvirt is linked), version-stamped; its .deb
# and .rpm (nfpm), a CycloneDX SBOM, and SHA256SUMS over all of them, in DIST.
# The released binary has no libguestfs binding (libguestfs cannot be loaded
# at run time): it reports the libguestfs area not run, and why.
set -euo pipefail
cd "$(dirname "$0")/.."
# Whatever a caller's GOFLAGS holds (make test's tags and libguestfs modfile) is
# not the release's.
unset GOFLAGS
DIST=${DIST:-dist}
VERSION=${VERSION:-$(bash scripts/version.sh)}
[ -n "$VERSION" ] || VERSION=v0.0.0-devel
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
SBOM=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
rm -rf "$DIST"
mkdir -p "$DIST"
log() { printf 'release: %s\n' "$*"; }

build() { # goarch cc
  local arch=$1 cc=$2 out="$DIST/ovacts-linux-$1"
  CGO_ENABLED=1 GOOS=linux GOARCH=$arch CC=$cc PKG_CONFIG=/bin/false \
    go build -trimpath -tags libvirt_dlopen -ldflags "-s -w -X main.version=$VERSION" -o "$out" ./cmd/ovacts
  log "built $out ($(du -h "$out" | cut -f1))"
  # nfpm wants a semantic version without the v, and reads no variables in
  # file paths: the config is written out for this build.
  local conf="$DIST/.nfpm-$arch.yaml" docs="$DIST/.docs"
  # Man pages and completions come from the commands' own help, written by
  # the host's build (the text is the same on every architecture).
  if [ ! -d "$docs" ]; then
    go run -tags libvirt_dlopen -ldflags "-X main.version=$VERSION" ./cmd/ovacts gen-docs "$docs" >/dev/null
  fi
  sed -e "s|\${OVACTS_DOCS}|$docs|g" -e "s|\${OVACTS_ARCH}|$arch|" -e "s|\${OVACTS_VERSION}|${VERSION#v}|" -e "s|\${OVACTS_BINARY}|$out|" \
    packaging/nfpm.yaml > "$conf"
  for packager in deb rpm; do
    go run "$NFPM" package --config "$conf" --packager $packager --target "$DIST/" >/dev/null
  done
  rm -f "$conf"
}

build amd64 gcc
if command -v aarch64-linux-gnu-gcc >/dev/null; then
  build arm64 aarch64-linux-gnu-gcc
else
  log "no aarch64-linux-gnu-gcc (Debian: gcc-aarch64-linux-gnu): linux/arm64 not built"
fi
go run "$SBOM" app -json -licenses=false -main cmd/ovacts -output "$DIST/ovacts-$VERSION.cdx.json" . >/dev/null 2>&1
log "SBOM $DIST/ovacts-$VERSION.cdx.json"
rm -rf "$DIST/.docs"
(cd "$DIST" && sha256sum -- * > SHA256SUMS)
ls -l "$DIST" | sed 1d | awk '{printf "release: %8d  %s\n", $5, $9}'
