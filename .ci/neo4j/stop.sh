#!/usr/bin/env bash
# Stop the server started by start.sh (pid in neo4j.pid): SIGTERM, wait up to 30 s
# for the clean shutdown hook, then SIGKILL. Succeeds when nothing is running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

[[ -f neo4j.pid ]] || { echo "neo4j: not running (no neo4j.pid)"; exit 0; }
pid="$(cat neo4j.pid)"

# Alive and not a zombie (an orphaned child may linger as a zombie until reaped).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" || state=Z
    [[ "$state" != Z ]]
}

# Only signal the process if it is still our launcher (guards against pid reuse).
if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" \
        && grep -qa 'Launcher.java' "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
        alive "$pid" || break
        sleep 0.5
    done
    if alive "$pid"; then
        echo "neo4j: pid $pid ignored SIGTERM for 30 s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
    fi
    echo "neo4j: stopped pid $pid"
else
    echo "neo4j: not running (stale pid $pid)"
fi
rm -f neo4j.pid
