"""One writer at a time (issue "Abuse-proof", item 1): no acknowledged row is ever lost.

Real processes, real files: several ``lernnetz import participation`` at once, an import
during a ``load``, ``kill -9`` of a writer at random moments, and the API and the CLI writing
in turn. After each, every row that a writer acknowledged (exit 0) is in the ledger and in the
graph, and the graph holds exactly the ledger's participation once the next writer has run.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from lernnetz.api.main import create_app
from lernnetz.graph.model import GraphData
from lernnetz.graph.participation import persist_records, read_file
from lernnetz.graph.pipeline import applied_mark, ledger_digest, load, read_ledger
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.neo4j_store import Neo4jStore
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.fetch import fetch_register
from lernnetz.loaders.records import ParticipationRecord, Register

TOKEN = "writer-test-token"
pytestmark = pytest.mark.slow


def _settings(data_dir: Path) -> Settings:
    return Settings(LERNNETZ_DATA_DIR=data_dir, LERNNETZ_BACKEND="networkx", LERNNETZ_API_TOKEN=TOKEN)


@pytest.fixture(scope="module")
def loaded_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the real register fetched and the graph loaded (copied per test)."""
    d = tmp_path_factory.mktemp("writers") / "cache"
    fetch_register(d, str(shared_data))
    load(_settings(d))
    return d


@pytest.fixture
def data_dir(loaded_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "cache"
    shutil.copytree(loaded_dir, d)
    return d


def _lists(register: Register, data_dir: Path, tmp_path: Path, n: int, rows: int = 40) -> list[Path]:
    """``n`` participation lists of distinct real Gemeinden (register names with their Land),
    only names the importer resolves on their own (the test is about writers, not names)."""
    # Regierungsbezirk Tübingen (BW), inhabited Gemeinden only (no gemeindefreie Gebiete)
    gemeinden = [m for m in register.municipalities if m.ags.startswith("084") and (m.population or 0) > 0]
    probe = tmp_path / "probe.csv"
    probe.write_text(
        "municipality,land,topics,kind,date,source\n"
        + "".join(f'"{m.name}",BW,mobility,registered,2024-01-15,probe\n' for m in gemeinden),
        encoding="utf-8",
    )
    resolved = {r.ags for r in read_file(NetworkXStore(data_dir / "graph.pickle"), probe).records}
    unique = [m for m in gemeinden if m.ags in resolved]
    assert len(unique) >= n * rows
    out = []
    for i in range(n):
        chosen = unique[i::n][:rows]
        lines = ["municipality,land,topics,kind,date,source"]
        lines += [f'"{m.name}",BW,mobility,registered,2024-0{1 + i % 9}-15,writer-list-{i}' for m in chosen]
        p = tmp_path / f"list-{i}.csv"
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out.append(p)
    return out


def _cli(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LERNNETZ_DATA_DIR": str(data_dir), "LERNNETZ_BACKEND": "networkx"}
    env.pop("NEO4J_URI", None)
    return subprocess.Popen(
        [sys.executable, "-m", "lernnetz.api.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _expected(data_dir: Path, files: list[Path]) -> set[ParticipationRecord]:
    store = NetworkXStore(data_dir / "graph.pickle")
    out: set[ParticipationRecord] = set()
    for f in files:
        result = read_file(store, f)
        assert not result.rejects, result.rejects[:3]
        out |= set(result.records)
    return out


def _graph_interests(data_dir: Path) -> set[tuple[str, str, str, str, str]]:
    i = NetworkXStore(data_dir / "graph.pickle").interests()
    return set(zip(i["ags"], i["topic"], i["kind"], i["date"], i["source"], strict=True))


def _key(r: ParticipationRecord) -> tuple[str, str, str, str, str]:
    return (r.ags, r.topic or "", r.kind, r.date, r.source)


def _assert_all_present(data_dir: Path, expected: set[ParticipationRecord]) -> None:
    ledger = set(read_ledger(_settings(data_dir)))
    missing_ledger = expected - ledger
    assert not missing_ledger, f"{len(missing_ledger)} acknowledged rows missing from the ledger"
    graph = _graph_interests(data_dir)
    missing_graph = {_key(r) for r in expected} - graph
    assert not missing_graph, f"{len(missing_graph)} acknowledged rows missing from the graph"


def _wait(procs: list[subprocess.Popen[str]], timeout: float = 240.0) -> list[str]:
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=timeout)
        assert p.returncode == 0, out
        outs.append(out)
    return outs


@pytest.mark.parametrize("round_", [1, 2])
def test_concurrent_importers_lose_no_row(
    data_dir: Path, register: Register, tmp_path: Path, round_: int
) -> None:
    files = _lists(register, data_dir, tmp_path, 4)
    expected = _expected(data_dir, files)
    assert len(expected) == 4 * 40
    _wait([_cli(data_dir, "import", "participation", str(f)) for f in files])
    _assert_all_present(data_dir, expected)
    assert ledger_digest(_settings(data_dir)) == applied_mark(_settings(data_dir))


def test_import_during_load_keeps_the_import(data_dir: Path, register: Register, tmp_path: Path) -> None:
    files = _lists(register, data_dir, tmp_path, 2)
    expected = _expected(data_dir, files)
    loader = _cli(data_dir, "load")
    time.sleep(0.3)  # the load holds the lock while it reads the ledger and rebuilds the graph
    importers = [_cli(data_dir, "import", "participation", str(f)) for f in files]
    _wait([loader, *importers])
    _assert_all_present(data_dir, expected)


def test_second_writer_waits_then_gives_a_clear_busy_error(
    data_dir: Path, register: Register, tmp_path: Path
) -> None:
    from filelock import FileLock

    (f,) = _lists(register, data_dir, tmp_path, 1)
    before = (data_dir / "graph.pickle").read_bytes()
    with FileLock(data_dir / "lernnetz.lock"):
        env_dir = data_dir
        p = subprocess.run(  # noqa: PLW1510 - the exit code is the assertion
            [sys.executable, "-m", "lernnetz.api.cli", "import", "participation", str(f)],
            env={**os.environ, "LERNNETZ_DATA_DIR": str(env_dir), "LERNNETZ_LOCK_TIMEOUT": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert p.returncode == 1, p.stdout + p.stderr
    assert "another lernnetz writer" in p.stdout + p.stderr
    assert (data_dir / "graph.pickle").read_bytes() == before
    assert read_ledger(_settings(data_dir)) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kill_9_of_a_writer_leaves_old_or_new_state_and_the_next_writer_heals(
    data_dir: Path, register: Register, tmp_path: Path, seed: int
) -> None:
    rnd = random.Random(seed)
    first, second = _lists(register, data_dir, tmp_path, 2)
    expected_first = _expected(data_dir, [first])
    old_graph = _graph_interests(data_dir)
    proc = _cli(data_dir, "import", "participation", str(first))
    time.sleep(rnd.uniform(0.5, 4.0))  # somewhere in start-up, resolving, ledger or snapshot write
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # what a reader sees right after the kill: a readable graph, old or old + the whole list
    graph = _graph_interests(data_dir)
    assert graph in (old_graph, old_graph | {_key(r) for r in expected_first})
    ledger = set(read_ledger(_settings(data_dir)))
    assert ledger in (set(), expected_first)
    # the next writer finishes what the killed one left half done
    _wait([_cli(data_dir, "import", "participation", str(second))])
    ledger = set(read_ledger(_settings(data_dir)))
    assert {_key(r) for r in ledger} == _graph_interests(data_dir) - old_graph
    assert ledger_digest(_settings(data_dir)) == applied_mark(_settings(data_dir))
    assert not list(data_dir.glob(".*.tmp")), "a killed writer's temp file outlived the next writer"


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(data_dir))) as c:
        yield c


def test_api_and_cli_writers_interleaved_never_revert(
    client: TestClient, data_dir: Path, register: Register, tmp_path: Path
) -> None:
    a, b, c = _lists(register, data_dir, tmp_path, 3)
    expected = _expected(data_dir, [a, b, c])
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = client.post("/imports/participation", files={"file": (a.name, a.read_bytes())}, headers=auth)
    assert r.status_code == 200, r.text
    _wait([_cli(data_dir, "import", "participation", str(b))])  # the API's graph is now stale
    # the API answers from the newer graph: a Gemeinde of list b has its interest
    b_ags = sorted({x.ags for x in _expected(data_dir, [b])})[0]
    detail = client.get(f"/municipalities/{b_ags}").json()
    assert any(i["source"] == "writer-list-1" for i in detail["interests"]), detail
    # and its next upload writes on top of the CLI's rows, not over them
    r = client.post("/imports/participation", files={"file": (c.name, c.read_bytes())}, headers=auth)
    assert r.status_code == 200, r.text
    _assert_all_present(data_dir, expected)
    # a CLI load after all that rebuilds from the ledger: still everything
    _wait([_cli(data_dir, "load")])
    _assert_all_present(data_dir, expected)


@pytest.mark.neo4j
def test_neo4j_concurrent_writers_lose_no_row(
    neo4j_driver: Driver, graph_data: GraphData, data_dir: Path, register: Register, tmp_path: Path
) -> None:
    """Four writers at once into Neo4j (each with its own store object, as separate API
    workers or CLI processes would have): every row in Neo4j and in the ledger."""
    base = Neo4jStore(neo4j_driver)
    base.wipe()
    base.replace(graph_data)
    files = _lists(register, data_dir, tmp_path, 4)
    batches = [read_file(base, f).records for f in files]
    settings = _settings(data_dir)
    errors: list[BaseException] = []

    def write(records: list[ParticipationRecord]) -> None:
        try:
            persist_records(Neo4jStore(neo4j_driver), settings, records)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    expected = {r for b in batches for r in b}
    assert set(read_ledger(settings)) >= expected
    i = base.interests()
    in_neo4j = set(zip(i["ags"], i["topic"], i["kind"], i["date"], i["source"], strict=True))
    assert {_key(r) for r in expected} <= in_neo4j
