#!/usr/bin/env bash
# Fetches Keycloak (keycloak-quarkus-dist zip from Maven Central, through maven) and unpacks it
# once under the test cache, for `npm run test:long` (test/long/keycloak.test.ts). Not part of
# `npm run setup`: only the long suite needs it. It fails (never skips) when it cannot fetch it.
# Keep the version and cache path in sync with test/peers/keycloak.ts.
set -euo pipefail

VERSION=26.4.7
DIR="${LAKEKEY_TEST_CACHE:-$HOME/.cache/lakekey-test}/keycloak-$VERSION"
if [ -x "$DIR/bin/kc.sh" ] && [ -f "$DIR/.lakekey-complete" ]; then exit 0; fi

command -v java >/dev/null || { echo "setup-keycloak: Keycloak $VERSION needs Java 17+: install openjdk-17-jre-headless." >&2; exit 1; }
command -v mvn >/dev/null || { echo "setup-keycloak: maven fetches Keycloak from Maven Central: install maven." >&2; exit 1; }
command -v unzip >/dev/null || { echo "setup-keycloak: unzip is needed to unpack Keycloak: install unzip." >&2; exit 1; }

printf '\n== fetching Keycloak %s from Maven Central (once; cached in %s)\n' "$VERSION" "$DIR"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# A private local repository (the test harness runs with a temporary HOME); MAVEN_REPO_LOCAL reuses one.
if ! mvn -q -B "-Dmaven.repo.local=${MAVEN_REPO_LOCAL:-$WORK/m2}" dependency:copy "-Dartifact=org.keycloak:keycloak-quarkus-dist:$VERSION:zip" "-DoutputDirectory=$WORK" >"$WORK/mvn.log" 2>&1; then
  cat "$WORK/mvn.log" >&2
  echo "setup-keycloak: maven could not fetch org.keycloak:keycloak-quarkus-dist:$VERSION:zip (see above); check the network or the maven mirror settings." >&2
  exit 1
fi
ZIP="$WORK/keycloak-quarkus-dist-$VERSION.zip"
[ -f "$ZIP" ] || { echo "setup-keycloak: maven reported success but $ZIP is missing." >&2; exit 1; }
unzip -q "$ZIP" -d "$WORK/x"
TOP="$WORK/x/keycloak-$VERSION"
[ -x "$TOP/bin/kc.sh" ] || { echo "setup-keycloak: the zip has no keycloak-$VERSION/bin/kc.sh." >&2; exit 1; }
# A loaded 2-core machine makes the first start wait for database connections.
printf 'quarkus.datasource.jdbc.acquisition-timeout=120s\n' >>"$TOP/conf/quarkus.properties"
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")"
mv "$TOP" "$DIR"
touch "$DIR/.lakekey-complete"
echo "Keycloak $VERSION is in $DIR"
