#!/usr/bin/env bash
# Sets up the peers the test suite runs against (`npm run setup:test`; `npm test` and the other
# test scripts run it first, so `npm run setup && npm test` sets up everything on a fresh machine):
# Debian packages (browser, keyring, D-Bus, Xvfb, AWS CLI v2, boto3, stress-ng, fish, shellcheck,
# strace, keyutils), MinIO and actionlint built once from source, the real lakeFS server and lakectl
# (scripts/setup-lakefs.sh), a Python venv of clients from PyPI, and Java clients (AWS SDK v2,
# Hadoop S3A) from Maven Central with a JDK and Maven from Debian; all cached under
# $LAKEKEY_TEST_CACHE (default ~/.cache/lakekey-test). The app and the CLI need none of this: that
# is `npm run setup` (scripts/setup.sh).
# Safe to run again: each step is skipped when it is done, and a run with nothing to do takes
# well under a second and says so in one line.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup-lib.sh
. scripts/setup-lib.sh

did=0   # set when any step did something, for the closing line

# chromium: the test browser (playwright-core drives Debian's). gnome-keyring, gcr, dbus, dbus-x11,
# libsecret-tools: a private Secret Service per test file. xvfb: a display for the app's tests.
# awscli, python3-boto3: AWS CLI v2 and boto3 as Debian ships them. python3-venv: the venv below.
# bsdutils (script), stress-ng, fish, shellcheck, strace: terminal, load, shell and lint tests.
# keyutils: `keyctl`, which the kernel-keyring keychain runs (LAKEKEY_KEYCHAIN=kernel; a runtime
# need of that choice only, said in the README) and its tests check the keyring with.
apt_install "the test peers" chromium gnome-keyring gcr dbus dbus-x11 libsecret-tools awscli python3-boto3 python3-venv \
  xvfb python3 bsdutils stress-ng fish shellcheck strace keyutils
if ((APT_DID)); then did=1; fi

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c   # keep in sync with test/peers/minio.ts
MINIO_DIR="$CACHE/minio-$MINIO_VERSION"
if [ ! -x "$MINIO_DIR/minio" ]; then
  say "building MinIO $MINIO_VERSION (once; cached in $MINIO_DIR)"
  command -v go >/dev/null || { echo "Go is needed to build MinIO for the tests: install Go 1.24+." >&2; exit 1; }
  mkdir -p "$MINIO_DIR"
  CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$MINIO_DIR" go install "github.com/minio/minio@$MINIO_VERSION"
  did=1
fi

ACTIONLINT_VERSION=v1.7.12   # keep in sync with test/unit/workflows.test.ts
ACTIONLINT_DIR="$CACHE/actionlint-$ACTIONLINT_VERSION"
if [ ! -x "$ACTIONLINT_DIR/actionlint" ]; then
  say "building actionlint $ACTIONLINT_VERSION, the linter for .github/workflows (once; cached in $ACTIONLINT_DIR)"
  command -v go >/dev/null || { echo "Go is needed to build actionlint for the tests: install Go 1.24+." >&2; exit 1; }
  mkdir -p "$ACTIONLINT_DIR"
  CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$ACTIONLINT_DIR" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  did=1
fi

# The real lakeFS server and lakectl, built once from lakeFS's source at the pinned commit.
if ! bash scripts/setup-lakefs.sh --check; then
  bash scripts/setup-lakefs.sh
  did=1
fi

VENV="$CACHE/venv"   # keep in sync with lakefsPython() in test/peers/lakefs.ts and test/e2e/s3-minio.test.ts
# Python clients from PyPI: the lakeFS SDK, and botocore-based tools new enough to honour
# `endpoint_url` (botocore >= 1.31; Debian's is 1.29): AWS CLI v1, boto3, DuckDB with its httpfs
# and aws extensions shipped as PyPI packages (DuckDB's own extension download is unreachable).
# An isolated venv (no --system-site-packages), so Debian's old botocore can never be imported.
VENV_PINS=(lakefs==0.16.0 awscli==1.44.5 boto3==1.42.15 botocore==1.42.15 duckdb==1.5.5 duckdb-extension-httpfs==1.5.5 duckdb-extension-aws==1.5.5)
VENV_STAMP="$VENV/.lakekey-pins"
# The stamp is written only after pip installed every pin; a venv whose Python no longer starts
# (the system's Python was replaced) is rebuilt too. Importing the packages to check would cost
# a second on every `npm test`.
if [ "$(cat "$VENV_STAMP" 2>/dev/null)" != "${VENV_PINS[*]}" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
  say "installing Python test clients into $VENV: ${VENV_PINS[*]}"
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${VENV_PINS[@]}"
  echo "${VENV_PINS[*]}" > "$VENV_STAMP"
  did=1
fi

# --- Java clients (AWS SDK for Java v2, Hadoop S3A) for the credentials endpoint tests ---------------
# A JDK and Maven from Debian; the jars from Maven Central, pinned in test/java/pom.xml and cached
# under a hash of it; the programs in test/java compiled under a hash of every file there, so an
# edited source recompiles and checkouts with other pins share the cache. Keep the layout in sync
# with test/peers/java.ts, which finds them the same way.
apt_install "the Java test clients" default-jdk-headless maven
if ((APT_DID)); then did=1; fi
# hash FILE...: the first 16 hex digits of the SHA-256 of each file's name and content, in order.
java_hash() {
  local f
  for f in "$@"; do printf '%s\n' "$(basename "$f")"; cat "$f"; done | sha256sum | cut -c1-16
}
JAVA_FILES=()
while IFS= read -r f; do JAVA_FILES+=("test/java/$f"); done < <(cd test/java && find . -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort)
JAVA_LIB="$CACHE/java-lib-$(java_hash test/java/pom.xml)"
JAVA_CLASSES="$CACHE/java-classes-$(java_hash "${JAVA_FILES[@]}")"
if [ ! -f "$JAVA_LIB/.lakekey-complete" ]; then
  say "fetching the Java test clients' jars from Maven Central (once, ~700 MB; cached in $JAVA_LIB)"
  rm -rf "$JAVA_LIB.tmp"
  mkdir -p "$JAVA_LIB.tmp"
  # A private local repository, removed after (the jars are copied out); MAVEN_REPO_LOCAL reuses one.
  for profile in sdk s3a; do
    if ! mvn -q -B -f test/java/pom.xml -P "$profile" "-Dmaven.repo.local=${MAVEN_REPO_LOCAL:-$JAVA_LIB.tmp/m2}" \
      dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$JAVA_LIB.tmp/$profile" >"$JAVA_LIB.tmp/mvn.log" 2>&1; then
      cat "$JAVA_LIB.tmp/mvn.log" >&2
      rm -rf "$JAVA_LIB.tmp"   # nothing half-fetched is left in the cache
      echo "setup-test: maven could not fetch the jars of profile $profile in test/java/pom.xml (see above); check the network or the maven mirror settings." >&2
      exit 1
    fi
  done
  rm -rf "$JAVA_LIB.tmp/m2" "$JAVA_LIB.tmp/mvn.log" "$JAVA_LIB"
  mv "$JAVA_LIB.tmp" "$JAVA_LIB"
  touch "$JAVA_LIB/.lakekey-complete"
  did=1
fi
if [ ! -f "$JAVA_CLASSES/.lakekey-complete" ]; then
  say "compiling the Java test clients into $JAVA_CLASSES"
  rm -rf "$JAVA_CLASSES"
  javac -nowarn --release 17 -cp "$JAVA_LIB/sdk/*" -d "$JAVA_CLASSES/sdk" test/java/SdkList.java
  javac -nowarn --release 17 -cp "$JAVA_LIB/s3a/*" -d "$JAVA_CLASSES/s3a" test/java/S3aSoak.java
  cp test/java/log4j.properties "$JAVA_CLASSES/s3a/"
  touch "$JAVA_CLASSES/.lakekey-complete"
  did=1
fi
# --- end of the Java clients -------------------------------------------------------------------------

if ((did)); then
  say "test set-up done"
else
  echo "test set-up: nothing to do (Debian packages, MinIO, actionlint, lakeFS $(. scripts/lakefs-pin.env && echo "$LAKEFS_VERSION"), the Python venv and the Java clients are in place in $CACHE)"
fi
