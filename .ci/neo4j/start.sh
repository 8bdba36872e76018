#!/usr/bin/env bash
# Start a throw-away Neo4j Community 5.26 server (embedded, Bolt only) in the background.
#
#   .ci/neo4j/start.sh            # port from NEO4J_PORT (default 7687); returns at once
#   .ci/neo4j/start.sh --wait     # also wait until "NEO4J_READY" appears in neo4j.out
#
# Idempotent: jars are fetched into lib/ only when lib/ is missing or incomplete
# (marker lib/.complete holds the sha256 of pom.xml); a server started earlier by this
# script is stopped first; the database always starts from an empty .home/.
# Prints the server's pid. Without --wait, readiness is the caller's job
# (tests/neo4j_util.py wait_ready polls verify_connectivity()).
# Env: NEO4J_PORT, NEO4J_JAVA (java binary, must be 17 or 21), NEO4J_HEAP (default 768m),
#      NEO4J_START_TIMEOUT (seconds for --wait, default 180).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

port="${NEO4J_PORT:-7687}"
java_bin="${NEO4J_JAVA:-java}"
heap="${NEO4J_HEAP:-768m}"
wait_ready=0
[[ "${1:-}" == "--wait" ]] && wait_ready=1

# 1. Jars (GPLv3, downloaded at run time, never committed), with progress on stderr.
./jars.sh

# 2. One server per folder: stop one we started before, refuse a port held by anything else.
./stop.sh >/dev/null
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "neo4j: port 127.0.0.1:$port is already in use by another process" >&2
    exit 1
fi

# 3. Fresh database, then start in the background.
rm -rf .home neo4j.out
nohup "$java_bin" \
    -Xms256m "-Xmx$heap" -XX:+UseG1GC \
    --add-opens=java.base/java.lang=ALL-UNNAMED \
    --add-opens=java.base/java.nio=ALL-UNNAMED \
    --add-opens=java.base/java.io=ALL-UNNAMED \
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
    -Dio.netty.tryReflectionSetAccessible=true -Dfile.encoding=UTF-8 \
    -cp 'lib/*' Launcher.java "$PWD/.home" "$port" > neo4j.out 2>&1 < /dev/null &
pid=$!
echo "$pid" > neo4j.pid
echo "$pid"

if (( wait_ready )); then
    deadline=$(( SECONDS + ${NEO4J_START_TIMEOUT:-180} ))
    until grep -q '^NEO4J_READY' neo4j.out 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "neo4j: server exited during start-up; neo4j.out:" >&2
            cat neo4j.out >&2
            exit 1
        fi
        if (( SECONDS >= deadline )); then
            echo "neo4j: not ready after ${NEO4J_START_TIMEOUT:-180}s; see $(pwd)/neo4j.out" >&2
            exit 1
        fi
        sleep 1
    done
    echo "neo4j: ready on bolt://127.0.0.1:$port" >&2
fi
