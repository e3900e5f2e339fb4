#!/usr/bin/env bash
# Builds the real lakeFS server and lakectl the tests run against, once, from lakeFS's OSS source
# at the commit pinned in scripts/lakefs-pin.env. The two binaries are cached in
# $LAKEKEY_TEST_CACHE (default ~/.cache/lakekey-test)/lakefs-<version>-src, keyed by the pin: a
# cached build is reused with no source at hand, and a new pin builds anew.
#
# The source, the first of:
#   1. $LAKEKEY_LAKEFS_TARBALL: a tarball of lakeFS's source at the pinned commit (set explicitly,
#      so it wins over what happens to lie beside the checkout);
#   2. ../shared/peers/lakefs/lakefs-<version>-src.tar.gz beside the checkout (development machines);
#   3. lakeFS's public source archive at the pinned commit, downloaded (curl honours https_proxy):
#      what a fresh clone anywhere gets.
# It never skips: without the build the lakeFS tests cannot run, and they must fail, not vanish.
#
#   bash scripts/setup-lakefs.sh           build unless cached
#   bash scripts/setup-lakefs.sh --check   exit 0 when the build is cached, 1 when not; prints nothing
#
# Keep the cache path in sync with lakefsBuildDir() in test/peers/lakefs-server.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lakefs-pin.env
. scripts/lakefs-pin.env

DIR="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}/lakefs-$LAKEFS_VERSION-src"
cached() { [ -x "$DIR/lakefs" ] && [ -x "$DIR/lakectl" ]; }
if [ "${1:-}" = --check ]; then cached; exit; fi
if cached; then
  echo "lakeFS $LAKEFS_VERSION: built already, in $DIR"
  exit 0
fi

fail() { printf 'setup-lakefs: %s\n' "$*" >&2; exit 1; }
command -v go >/dev/null || fail "Go is needed to build lakeFS $LAKEFS_VERSION for the tests: install Go 1.24+ (it fetches the newer toolchain lakeFS's go.mod asks for through the Go proxy)."

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

SHARED="../shared/peers/lakefs/lakefs-$LAKEFS_VERSION-src.tar.gz"
URL="https://github.com/treeverse/lakeFS/archive/$LAKEFS_COMMIT.tar.gz"
if [ -n "${LAKEKEY_LAKEFS_TARBALL:-}" ]; then
  [ -f "$LAKEKEY_LAKEFS_TARBALL" ] || fail "LAKEKEY_LAKEFS_TARBALL is set to $LAKEKEY_LAKEFS_TARBALL, which is not a file: point it at a tarball of lakeFS's source at commit $LAKEFS_COMMIT, or unset it to use ../shared or the download."
  TARBALL="$LAKEKEY_LAKEFS_TARBALL"
elif [ -f "$SHARED" ]; then
  TARBALL="$SHARED"
else
  # A tarball of another version beside the checkout would build the wrong server: say so.
  for other in ../shared/peers/lakefs/lakefs-*-src.tar.gz; do
    if [ -f "$other" ]; then echo "setup-lakefs: not using $other: the pinned lakeFS is $LAKEFS_VERSION (scripts/lakefs-pin.env)" >&2; fi
  done
  command -v curl >/dev/null || fail "curl is needed to download lakeFS's source: install curl, or set LAKEKEY_LAKEFS_TARBALL (see below)."
  printf '\n== downloading lakeFS %s source from %s\n' "$LAKEFS_VERSION" "$URL"
  TARBALL="$WORK/lakefs-$LAKEFS_VERSION-src.tar.gz"
  # Fail fast where the host is unreachable; give up on a transfer that stalls for a minute.
  if ! curl -fsSL --connect-timeout 20 --speed-limit 1024 --speed-time 60 -o "$TARBALL" "$URL"; then
    fail "could not download lakeFS's source from $URL (curl's reason is above). Where that address is unreachable, get a tarball of lakeFS's source at commit $LAKEFS_COMMIT (what that address serves) and set LAKEKEY_LAKEFS_TARBALL to its path, or put it at $(cd .. && pwd)/shared/peers/lakefs/lakefs-$LAKEFS_VERSION-src.tar.gz; then run \`npm run setup:test\` again."
  fi
fi

printf '\n== building lakeFS %s and lakectl from %s (once; about 5-9 min; cached in %s)\n' "$LAKEFS_VERSION" "$TARBALL" "$DIR"
mkdir -p "$WORK/src" "$WORK/bin"
tar -xzf "$TARBALL" -C "$WORK/src" || fail "$TARBALL is not a readable .tar.gz."
# The tarball holds the tree at its top (../shared's) or in one folder (GitHub's lakeFS-<commit>/).
SRC="$WORK/src"
[ -f "$SRC/go.mod" ] || SRC="$(dirname "$(find "$WORK/src" -maxdepth 2 -name go.mod | head -1)")"
grep -qx 'module github.com/treeverse/lakefs' "$SRC/go.mod" 2>/dev/null || fail "$TARBALL does not hold lakeFS's source (no go.mod of github.com/treeverse/lakefs at its top or one folder down)."
# lakeFS embeds webui/dist (its web UI, built separately); the folder must exist even when empty.
mkdir -p "$SRC/webui/dist" && touch "$SRC/webui/dist/.gitkeep"
start=$SECONDS
(cd "$SRC" && GOFLAGS=-mod=mod go build -trimpath -o "$WORK/bin/" ./cmd/lakefs ./cmd/lakectl)
# Into the cache only once both are built, so a failed or interrupted build never looks cached.
mkdir -p "$DIR"
echo "lakeFS $LAKEFS_VERSION (commit $LAKEFS_COMMIT), built from $TARBALL" > "$DIR/SOURCE"
mv "$WORK/bin/lakefs" "$WORK/bin/lakectl" "$DIR/"
echo "built lakeFS in $((SECONDS - start)) s"
