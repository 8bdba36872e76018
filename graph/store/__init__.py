"""The stores: one protocol (:mod:`.protocol`), the embedded NetworkX store and Neo4j.

:func:`open_store` is the only place that picks a backend; the adapters are imported
only when chosen, so the embedded path never loads the Neo4j driver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lernnetz.graph.settings import Settings
from lernnetz.graph.store.protocol import GraphStore, ProgressFn

__all__ = ["GraphStore", "ProgressFn", "memo", "open_store"]

_T = TypeVar("_T")


def memo(store: GraphStore, name: str, build: Callable[[], _T]) -> _T:
    """``build()`` (an index derived from the store's tables), kept by the store for its current
    state when it offers ``derived(name, build)`` (both stores do), else computed each time."""
    derived: Callable[[str, Callable[[], _T]], _T] | None = getattr(store, "derived", None)
    if derived is None:
        return build()
    return derived(name, build)


def open_store(settings: Settings | None = None, *, backend: str | None = None) -> GraphStore:
    """Open the configured store. The only place that chooses a backend."""
    settings = settings or Settings()
    chosen = backend or settings.backend
    if chosen == "networkx":
        from lernnetz.graph.store.nx_store import NetworkXStore

        return NetworkXStore(settings.snapshot_path)
    if chosen == "neo4j":
        from lernnetz.graph.store.neo4j_store import Neo4jStore

        store: GraphStore = Neo4jStore.from_settings(settings)
        return store
    raise ValueError(f"unknown backend {chosen!r}; use networkx or neo4j")
