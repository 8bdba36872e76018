"""Fixtures for the picture/page tests: a store with synthetic participation, a learning network.

Import the fixtures into a test module (``from tests.viz_fixtures import demo_store, learning_result``).
The store is built once per test session (cached here), in its own temporary folder, so the
shared ``nx_store`` fixture is never modified.
"""

from __future__ import annotations

from typing import Any

import pytest

from lernnetz.graph.model import GraphData
from lernnetz.graph.store.nx_store import NetworkXStore

_CACHE: dict[str, Any] = {}

#: The learning network the browser test and the benchmark render (issue 7: Ulm, 30 km).
LEARNING_REGION = "Ulm"
LEARNING_RADIUS_KM = 30.0


def build_demo_store(graph_data: GraphData, folder: Any) -> NetworkXStore:
    """Register + programme + 10,000 synthetic interest/attendance rows (seed 7)."""
    from lernnetz.graph.synthetic import synthetic_participation

    store = NetworkXStore(folder / "graph.pickle")
    store.replace(graph_data)
    store.add_participation(synthetic_participation(store, n=10_000, seed=7))
    return store


@pytest.fixture(scope="session")
def demo_store(graph_data: GraphData, tmp_path_factory: pytest.TempPathFactory) -> NetworkXStore:
    if "store" not in _CACHE:
        _CACHE["store"] = build_demo_store(graph_data, tmp_path_factory.mktemp("demo"))
    store: NetworkXStore = _CACHE["store"]
    return store


@pytest.fixture(scope="session")
def learning_result(demo_store: NetworkXStore) -> Any:
    """``learning_networks`` around Ulm with a 30 km radius on the demo store."""
    if "learning" not in _CACHE:
        from lernnetz.graph.analytics import learning_networks

        _CACHE["learning"] = learning_networks(demo_store, LEARNING_REGION, radius_km=LEARNING_RADIUS_KM)
    return _CACHE["learning"]
