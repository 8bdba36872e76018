"""Shared fixtures: the real official data from ../shared/data and the curated programme."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import CURATED_DIR, Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.programme import read_programme
from lernnetz.loaders.records import Programme, Register
from lernnetz.loaders.register import read_register

pytest_plugins = ["tests.neo4j_fixtures", "tests.xdist_groups", "tests.analytics_helpers"]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLEAN_CSV = SHARED_DATA / "destatis" / "gemeinden_gv_2020-12-31.csv"
ORIGINAL_CSV = next((SHARED_DATA / "destatis" / "original").glob("AuszugGV*.csv"), SHARED_DATA)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with the official reference files (read-only, never copied into the repo)."""
    assert CLEAN_CSV.exists(), f"the official data is missing: {CLEAN_CSV}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def register(shared_data: Path) -> Register:
    """The real register, Gebietsstand 31.12.2020."""
    return read_register(CLEAN_CSV)


@pytest.fixture(scope="session")
def programme(register: Register) -> Programme:
    """The curated programme data from data/."""
    return read_programme(CURATED_DIR, register)


@pytest.fixture(scope="session")
def graph_data(register: Register, programme: Programme) -> GraphData:
    """Register + programme, no participation."""
    return GraphData(register=register, programme=programme)


@pytest.fixture(scope="session")
def nx_store(graph_data: GraphData, tmp_path_factory: pytest.TempPathFactory) -> NetworkXStore:
    """An embedded store loaded with the real register and programme (shared: do not modify)."""
    store = NetworkXStore(tmp_path_factory.mktemp("nx") / "graph.pickle")
    store.replace(graph_data)
    return store


@pytest.fixture(scope="session")
def programme_snapshot(graph_data: GraphData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of register + programme (no participation), built once, copied by writers."""
    path = tmp_path_factory.mktemp("programme-snapshot") / "graph.pickle"
    NetworkXStore(path).replace(graph_data)
    return path


@pytest.fixture(scope="session")
def loaded_cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory after ``lernnetz data fetch`` and ``lernnetz load`` (register + curated
    programme, through the real pipeline), built once; tests copy it before they write."""
    from lernnetz.graph.pipeline import load
    from lernnetz.loaders.fetch import fetch_register

    d = tmp_path_factory.mktemp("loaded") / "cache"
    fetch_register(d, str(shared_data))
    load(Settings(LERNNETZ_DATA_DIR=d, LERNNETZ_BACKEND="networkx"))
    return d


@pytest.fixture
def private_store(programme_snapshot: Path, settings: Settings) -> NetworkXStore:
    """A private embedded store for one test, at the settings' snapshot path (so the CLI sees it)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(programme_snapshot, settings.snapshot_path)
    return NetworkXStore(settings.snapshot_path)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with a fresh, empty data directory (environment isolated)."""
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LERNNETZ_BACKEND", "networkx")
    return Settings()


# ---------------------------------------------------------------------------- CI honesty


def _reports(config: pytest.Config, kind: str) -> list[pytest.TestReport]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return []
    return [r for r in reporter.stats.get(kind, []) if isinstance(r, pytest.TestReport)]


def pytest_terminal_summary(terminalreporter: object, exitstatus: int, config: pytest.Config) -> None:
    """Say how many Neo4j tests ran, and against which server, so CI logs show it."""
    passed = [r for r in _reports(config, "passed") if "neo4j" in r.keywords and r.when == "call"]
    failed = [r for r in _reports(config, "failed") if "neo4j" in r.keywords]
    server = os.environ.get("NEO4J_URI") or "a server started by the test session"
    print(f"\nneo4j tests: {len(passed)} passed, {len(failed)} failed (server: {server})")


def _outcomes(config: pytest.Config) -> int:
    """How many tests reported an outcome (a call, or a setup that failed or skipped)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reports = [r for kind in (reporter.stats if reporter else {}).values() for r in kind]
    return sum(
        1
        for r in reports
        if isinstance(r, pytest.TestReport) and (r.when == "call" or (r.when == "setup" and not r.passed))
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test counts as failed, the Neo4j tests must have run, and so must every
    collected test (a scheduler that drops tests must not pass: see tests/xdist_groups.py).

    Judged once, by the pytest-xdist controller (which receives every worker's reports), never
    by a worker: a worker sees only its own share of the tests."""
    if hasattr(session.config, "workerinput"):
        return
    if not os.environ.get("CI") or session.config.option.collectonly:
        return
    skipped = _reports(session.config, "skipped")
    neo4j_ran = any("neo4j" in r.keywords for r in _reports(session.config, "passed"))
    full_run = not session.config.option.keyword and not session.config.option.markexpr
    if skipped or (full_run and os.environ.get("LERNNETZ_REQUIRE_NEO4J") and not neo4j_ran):
        print(f"\nCI: {len(skipped)} skipped test(s); neo4j tests ran: {neo4j_ran} — counted as a failure")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    ran = _outcomes(session.config)
    if exitstatus == pytest.ExitCode.OK and ran != session.testscollected:
        print(
            f"\nCI: {session.testscollected} tests collected but {ran} reported an outcome — counted as a failure"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
