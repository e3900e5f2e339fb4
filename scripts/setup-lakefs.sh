#!/usr/bin/env bash
# Builds the real lakeFS server and lakectl for the tests from the lakeFS OSS source beside the
# checkout (../shared/peers/lakefs/lakefs-*-src.tar.gz, or $LAKEKEY_LAKEFS_TARBALL), once: the
# binaries are cached under the tarball's name. Without the tarball it fails, so CI cannot skip it.
# Keep the cache path in sync with lakefsBinaries() in test/peers/lakefs-server.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

TARBALL="${LAKEKEY_LAKEFS_TARBALL:-}"
if [ -z "$TARBALL" ]; then
  for f in ../shared/peers/lakefs/lakefs-*-src.tar.gz; do [ -f "$f" ] && TARBALL="$f"; done
fi
if [ -z "$TARBALL" ] || [ ! -f "$TARBALL" ]; then
  echo "setup-lakefs: no lakeFS source tarball at ../shared/peers/lakefs/lakefs-*-src.tar.gz (CI clones shared/ beside the checkout); set LAKEKEY_LAKEFS_TARBALL to its path. The lakeFS tests need it." >&2
  exit 1
fi
NAME="$(basename "$TARBALL" .tar.gz)"
DIR="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}/$NAME"
if [ -x "$DIR/lakefs" ] && [ -x "$DIR/lakectl" ]; then exit 0; fi

command -v go >/dev/null || { echo "setup-lakefs: Go is needed to build lakeFS for the tests: install Go 1.24+." >&2; exit 1; }
printf '\n== building lakeFS and lakectl from %s (once; about 5-9 min; cached in %s)\n' "$NAME" "$DIR"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src" "$WORK/bin"
tar -xzf "$TARBALL" -C "$WORK/src"
SRC="$WORK/src"
# The tarball may hold the tree at its top or in one folder.
[ -f "$SRC/go.mod" ] || SRC="$(dirname "$(find "$WORK/src" -maxdepth 2 -name go.mod | head -1)")"
start=$SECONDS
(cd "$SRC" && GOFLAGS=-mod=mod go build -trimpath -o "$WORK/bin/" ./cmd/lakefs ./cmd/lakectl)
mkdir -p "$DIR"
mv "$WORK/bin/lakefs" "$WORK/bin/lakectl" "$DIR/"
echo "built lakeFS in $((SECONDS - start)) s"
