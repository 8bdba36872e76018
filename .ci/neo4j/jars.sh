#!/usr/bin/env bash
# Fetch the Neo4j 5.26 jars (pom.xml) from Maven Central into lib/, once.
#
#   .ci/neo4j/jars.sh        # no-op when lib/.complete holds the sha256 of pom.xml
#
# Shows progress: Maven's own transfer lines ("Downloading from central: …" /
# "Downloaded from central: … (N kB at M kB/s)") and one "Copying X.jar" line per artifact,
# all on stderr, so a first run (1–3 min on a cold ~/.m2) never looks hung.
# Used by start.sh and by the pytest session (tests/neo4j_fixtures.py, fixture neo4j_jars).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

want="$(sha256sum pom.xml | cut -d' ' -f1)"
if [[ -f lib/.complete && "$(cat lib/.complete)" == "$want" ]]; then
    exit 0
fi
echo "neo4j: fetching jars from Maven Central into $(pwd)/lib (first run only, 1–3 min) ..." >&2
started=$SECONDS
rm -rf lib
if ! mvn -B -Dstyle.color=never -f pom.xml \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
        -DoutputDirectory=lib -DincludeScope=runtime 2>&1 \
        | { grep --line-buffered -E 'Download(ing|ed) from|Copying|BUILD|ERROR|WARN' || true; } >&2; then
    echo "neo4j: jar download failed (see the Maven output above)" >&2
    exit 1
fi
echo "$want" > lib/.complete
echo "neo4j: $(find lib -name '*.jar' | wc -l) jars in lib/ after $((SECONDS - started)) s" >&2
