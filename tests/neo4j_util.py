"""Helpers to run and wait for the throw-away Neo4j test server in ``.ci/neo4j/``.

CI has no Docker, so integration tests use embedded Neo4j Community 5.26 started by
``.ci/neo4j/start.sh`` (jars from Maven Central, see ``.ci/neo4j/README.md``).

Typical use from a pytest conftest when ``NEO4J_URI`` is not set::

    start_server(7687)
    wait_ready("bolt://127.0.0.1:7687")
    ...
    stop_server()

Command line: ``python tests/neo4j_util.py wait [URI] [TIMEOUT]``, or ``start [PORT]`` /
``stop``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from neo4j import GraphDatabase

CI_DIR: Path = Path(__file__).resolve().parent.parent / ".ci" / "neo4j"
"""Folder holding ``start.sh``, ``stop.sh``, ``Launcher.java`` and the server's files."""

DEFAULT_URI: str = "bolt://127.0.0.1:7687"


def wait_ready(uri: str = DEFAULT_URI, timeout: float = 180.0) -> None:
    """Block until a Neo4j server answers on ``uri`` (auth disabled).

    Opens a driver and calls ``verify_connectivity()`` once a second until it
    succeeds. Raises ``RuntimeError`` (chained to the last connection error) when
    ``timeout`` seconds pass without success.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            with GraphDatabase.driver(uri, auth=None) as driver:
                driver.verify_connectivity()
            return
        except Exception as exc:  # any failure means "not ready yet"
            last_error = exc
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"Neo4j at {uri} not ready after {timeout:.0f}s: {last_error!r}"
            ) from last_error
        time.sleep(1.0)


def start_server(port: int = 7687) -> int:
    """Start the server with ``start.sh`` on 127.0.0.1:``port`` and return its pid.

    Returns as soon as the JVM is launched (jars are downloaded first if needed);
    call :func:`wait_ready` afterwards. Any server previously started by the script
    is stopped, and the database starts empty.
    """
    result = subprocess.run(
        ["bash", str(CI_DIR / "start.sh")],
        env={**os.environ, "NEO4J_PORT": str(port)},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return int(result.stdout.split()[-1])


def stop_server() -> None:
    """Stop the server started by :func:`start_server` (no-op if none is running)."""
    subprocess.run(["bash", str(CI_DIR / "stop.sh")], check=True)


def server_log() -> str:
    """Return the server's console output (``neo4j.out``), for failure reports."""
    path = CI_DIR / "neo4j.out"
    return path.read_text(errors="replace") if path.exists() else ""


def _main(argv: list[str]) -> int:
    command = argv[0] if argv else "wait"
    if command == "wait":
        uri = argv[1] if len(argv) > 1 else DEFAULT_URI
        timeout = float(argv[2]) if len(argv) > 2 else 180.0
        started = time.monotonic()
        wait_ready(uri, timeout)
        print(f"neo4j ready at {uri} after {time.monotonic() - started:.1f}s")
    elif command == "start":
        print(start_server(int(argv[1]) if len(argv) > 1 else 7687))
    elif command == "stop":
        stop_server()
    else:
        print(f"usage: {sys.argv[0]} wait [URI] [TIMEOUT] | start [PORT] | stop")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
