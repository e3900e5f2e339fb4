# shellcheck shell=bash disable=SC2034  # sourced: CACHE and APT_DID are read by the sourcing script
# Helpers shared by scripts/setup.sh (the app and the CLI) and scripts/setup-test.sh (the test
# peers). Sourced, not run.

say() { printf '\n== %s\n' "$*"; }

# The cache for everything built or fetched once (MinIO, lakeFS, actionlint, the venv, Node).
CACHE="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}"

# apt_install WHY PACKAGE...: installs the Debian packages not installed yet; prints nothing and
# returns at once when all are. Sets APT_DID=1 when it installed something. Off Debian/Ubuntu it
# only says what to install by hand (the names are Debian's) and goes on.
APT_DID=0
apt_install() {
  local why="$1"; shift
  if ! command -v dpkg-query >/dev/null; then
    echo "Not a Debian/Ubuntu machine: install the equivalents of these Debian packages yourself ($why): $*" >&2
    return 0
  fi
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "installing Debian packages ($why): ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Installing Debian packages needs root: run as root, or install sudo, or install them yourself: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  APT_DID=1
}
