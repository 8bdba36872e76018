"""pytest plugin: a real Neo4j server for the tests (registered in ``tests/conftest.py``).

* ``neo4j_jars`` (session): the Neo4j jars in ``.ci/neo4j/lib``, fetched once by
  ``.ci/neo4j/jars.sh`` (Maven's transfer lines shown live, not captured), before any
  server of this session starts. Every fixture that starts a JVM depends on it, so a fresh
  clone runs the Neo4j tests in any order on its first ``pytest``.
* ``neo4j_uri`` (session): ``NEO4J_URI`` if set (CI starts the server in ``.ci/run``; the
  fixture waits for it), otherwise a server started for this session with
  ``.ci/neo4j/start.sh`` on 127.0.0.1:7687 (or ``NEO4J_PORT``, as for ``start.sh``) and
  stopped at the end. If no server answers the fixture **errors** — Neo4j tests never skip.
* ``neo4j_driver`` (session): one driver for the whole session.
* ``scratch_server`` (session): one :class:`ScratchServer` on a free port, started once and
  shared by the restart tests (each stops and starts it; :meth:`ScratchServer.ensure_started`
  brings it back if a test failed while it was down); stopped at the end of the session.
* :class:`ScratchServer`: a second, separately managed server (own port, own home folder
  kept across restarts) for the fault tests that stop and start a server. It runs the
  same ``Launcher.java`` with the same JVM flags as ``start.sh`` but does not touch
  ``start.sh``'s pid file, so the session's server is never stopped by it.

Parallel runs (pytest-xdist, ``-n 2 --dist loadgroup`` in ``pyproject.toml``): Neo4j
Community has one user database, and the Neo4j tests wipe it, load it and count every node
in it, so they must never run at the same time as each other. :func:`neo4j_group` puts every
test that touches the session's server (marked ``neo4j``, or ``neo4j_uri`` in its fixture
closure) into the group ``neo4j``, which runs on one worker in collection order, as in a
serial run (``tests/xdist_groups.py`` schedules the groups); the tests on a
:class:`ScratchServer` form the group ``neo4j-scratch`` (one scratch server per run).
:func:`neo4j_uri` refuses to serve a test outside the group, so a test that escapes the
grouping fails loudly instead of racing. The jars are fetched under a file lock, so two
workers starting together download them once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from neo4j import Driver, GraphDatabase

from tests.neo4j_util import CI_DIR, server_log, start_server, stop_server, wait_ready

#: The JVM flags of ``.ci/neo4j/start.sh`` (what the packaged server gets from neo4j.conf).
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dfile.encoding=UTF-8",
]


def _auth() -> tuple[str, str] | None:
    password = os.environ.get("NEO4J_PASSWORD", "")
    return (os.environ.get("NEO4J_USER", "neo4j"), password) if password else None


def make_driver(uri: str) -> Driver:
    """A driver like the store's (auth from NEO4J_USER/NEO4J_PASSWORD if set, else none)."""
    return GraphDatabase.driver(
        uri,
        auth=_auth(),
        connection_timeout=5.0,
        max_transaction_retry_time=5.0,
        notifications_min_severity="OFF",
    )


#: The xdist group of the tests on the session's server, and of those on a scratch server.
GROUP, SCRATCH_GROUP = "neo4j", "neo4j-scratch"


def neo4j_group(item: pytest.Item) -> str | None:
    """The xdist group an item must run in: ``neo4j`` if it touches the session's server
    (marked ``neo4j`` without a scratch server of its own, or needing ``neo4j_uri`` through
    any fixture), ``neo4j-scratch`` if it uses the scratch server, else ``None``."""
    names = set(getattr(item, "fixturenames", ()))
    if "neo4j_uri" in names or (item.get_closest_marker("neo4j") and "scratch_server" not in names):
        return GROUP
    return SCRATCH_GROUP if "scratch_server" in names else None


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``neo4j`` every test of a Neo4j group (one that needs ``neo4j_uri`` only through a
    fixture, too): ``-m "not neo4j"`` leaves it out and the terminal summary counts it."""
    for item in items:
        if neo4j_group(item) is not None and not item.get_closest_marker("neo4j"):
            item.add_marker(pytest.mark.neo4j)


_current: list[pytest.Item] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember the test being set up (for the group check in :func:`neo4j_uri`)."""
    _current[:] = [item]


def _check_group() -> None:
    """Under xdist, only the ``neo4j`` group may use the session's server (see module docstring)."""
    item = _current[0] if _current else None
    if item is None or not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if neo4j_group(item) != GROUP:
        raise RuntimeError(
            f"{item.nodeid} uses the session's Neo4j server but is not in the xdist group {GROUP!r}: "
            "mark it @pytest.mark.neo4j (tests on the shared database must not run in parallel)"
        )


@pytest.fixture(scope="session")
def neo4j_jars(request: pytest.FixtureRequest) -> Path:
    """The jars folder, fetched by ``.ci/neo4j/jars.sh`` if missing (progress on the terminal),
    once even when two workers ask at the same time (file lock). Output goes to stderr, which
    xdist workers pass through to the terminal (their stdout is not shown)."""
    lib = CI_DIR / "lib"
    with FileLock(CI_DIR / ".jars.lock"):
        if not (lib / ".complete").exists():
            capture = request.config.pluginmanager.getplugin("capturemanager")
            with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
                print(
                    "\nneo4j: the jars are missing; fetching them once (Maven Central) ...",
                    file=sys.stderr,
                    flush=True,
                )
                subprocess.run(["bash", str(CI_DIR / "jars.sh")], check=True, stdout=sys.stderr)
    return lib


@pytest.fixture(scope="session")
def neo4j_uri(neo4j_jars: Path) -> Iterator[str]:
    """The Bolt URI of a running Neo4j (see module docstring). Never skips."""
    _check_group()
    uri = os.environ.get("NEO4J_URI")
    if uri:
        wait_ready(uri, timeout=180)
        yield uri
        return
    port = int(os.environ.get("NEO4J_PORT") or 7687)
    own = f"bolt://127.0.0.1:{port}"
    start_server(port)
    try:
        try:
            wait_ready(own, timeout=180)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- neo4j.out ---\n{server_log()[-4000:]}") from exc
        yield own
    finally:
        stop_server()


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_uri: str) -> Iterator[Driver]:
    """One driver for the session's server."""
    driver = make_driver(neo4j_uri)
    try:
        yield driver
    finally:
        driver.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Extra JVM flags for the scratch server: C1 only and the serial GC halve its start-up
#: (CPU and wall, measured 24 s → 13 s of CPU for two starts on the 2-core machine). Its
#: tests are about connections, not throughput; the session's server keeps start.sh's flags.
SCRATCH_JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


class ScratchServer:
    """A Neo4j server on its own port whose database folder survives stop/start."""

    def __init__(self, home: Path, port: int, heap: str = "512m") -> None:
        self.home, self.port, self.heap = home, port, heap
        self.uri = f"bolt://127.0.0.1:{port}"
        self.log = home.parent / f"neo4j-{port}.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180.0) -> None:
        """Start the JVM and wait until Bolt answers (raises with the log if it does not)."""
        if not (CI_DIR / "lib" / ".complete").exists():
            raise RuntimeError(
                f"Neo4j jars missing in {CI_DIR / 'lib'}: use the neo4j_jars fixture (or run .ci/neo4j/jars.sh)"
            )
        java = os.environ.get("NEO4J_JAVA", "java")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    java,
                    "-Xms128m",
                    f"-Xmx{self.heap}",
                    *[f for f in JVM_FLAGS if f != "-XX:+UseG1GC"],
                    *SCRATCH_JVM_FLAGS,
                    "-cp",
                    "lib/*",
                    "Launcher.java",
                    str(self.home),
                    str(self.port),
                ],
                cwd=CI_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            wait_ready(self.uri, timeout=timeout)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(
                f"{exc}\n--- {self.log} ---\n{self.log.read_text(errors='replace')[-4000:]}"
            ) from exc

    def ensure_started(self) -> None:
        """Start the server unless it is running."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def stop(self) -> None:
        """SIGTERM (clean shutdown hook), then SIGKILL after 30 s; waits until the port is free."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.2)


@pytest.fixture(scope="session")
def scratch_server(neo4j_jars: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchServer]:
    """A separately managed server (free port, own home folder), running when a test starts."""
    server = ScratchServer(tmp_path_factory.mktemp("scratch") / "home", free_port())
    try:
        yield server
    finally:
        server.stop()
