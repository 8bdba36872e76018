"""Shared fixtures: the real official data from ../shared/data and the curated programme."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.config import CURATED_DIR, Settings
from graph.model import GraphData
from graph.nx_store import NetworkXStore
from loaders.programme import read_programme
from loaders.records import Programme, Register
from loaders.register import read_register

pytest_plugins: list[str] = []

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


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with a fresh, empty data directory (environment isolated)."""
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LERNNETZ_BACKEND", "networkx")
    return Settings()
