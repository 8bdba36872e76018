"""What the first analytics question builds: the embedded store's one-pass groupings of its graph,
and the analytics context built with the cyclic collector paused from the store's first ``info()``
on (see ``context._collector_paused``)."""

from __future__ import annotations

import gc
from typing import Any

from lernnetz.graph import analytics as queries
from lernnetz.graph.analytics.context import clear_cache
from lernnetz.graph.model import GraphData
from lernnetz.graph.store.nx_frames import edges_by_type, graph_counts, nodes_by_kind
from lernnetz.graph.store.nx_store import NetworkXStore


def test_the_graph_grouped_in_one_pass_keeps_the_graphs_order(nx_store: NetworkXStore) -> None:
    G = nx_store._graph()
    grouped = edges_by_type(G)
    want: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for u, v, d in G.edges(data=True):
        want.setdefault(d["type"], []).append((u, v, d))
    assert list(grouped) == list(want)
    for t, edges in want.items():
        assert len(grouped[t]) == len(edges)
        assert all(
            a[0] == b[0] and a[1] == b[1] and a[2] is b[2] for a, b in zip(grouped[t], edges, strict=True)
        )
    nodes = nodes_by_kind(G)
    for kind, group in nodes.items():
        assert [d for n, d in G.nodes(data=True) if n.startswith(kind + ":")] == group
    assert sum(len(g) for g in nodes.values()) == G.number_of_nodes()
    counts = graph_counts(nodes, grouped)
    assert counts["edges"]["INTERESTED_IN"] == len(want.get("INTERESTED_IN", []))
    assert nx_store.info()["nodes"] == counts["nodes"] and nx_store.info()["edges"] == counts["edges"]


def test_the_first_question_reads_info_with_the_collector_paused(graph_data: GraphData) -> None:
    """On the embedded store the first ``info()`` groups every edge; with the collector on, the
    objects it makes set off full collections over the whole graph."""
    store = NetworkXStore(None)
    store.replace(graph_data)
    seen: list[bool] = []
    info = store.info

    def watched() -> dict[str, Any]:
        seen.append(gc.isenabled())
        return info()

    store.info = watched  # type: ignore[method-assign]
    assert gc.isenabled()
    first = queries.matches(store, "Ulm", 30.0)
    assert seen and seen[0] is False  # the build's info() ran with the collector off
    assert gc.isenabled()
    clear_cache(store)
    again = queries.matches(store, "Ulm", 30.0)
    assert first.equals(again)
