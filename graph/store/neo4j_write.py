"""The write side of the Neo4j store: a whole graph loaded as a new generation.

:class:`Neo4jWriter` is the part of :class:`lernnetz.graph.store.neo4j_store.Neo4jStore`
that writes: the schema, :meth:`~Neo4jWriter.replace` (reserve a generation on the pointer
node, write every node and relationship in ``UNWIND $rows`` + ``MERGE`` batches, wait for
the indexes, check the counts, switch the pointer in one small transaction, delete the old
generation; a heartbeat and a sweep of killed loads' leftovers from
:mod:`lernnetz.graph.store.neo4j_loads`) and :meth:`~Neo4jWriter.wipe`. :func:`prepare` and :func:`group_edges` turn the
graph's tables into Neo4j rows, checked like the NetworkX store checks them. The reading
side, the driver and the fault handling stay in :mod:`lernnetz.graph.store.neo4j_store`.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from neo4j import Driver
from neo4j.exceptions import ClientError

from lernnetz.graph.errors import InvalidArgument, StoreUnavailable
from lernnetz.graph.model import (
    EDGE_IDENTITY,
    EdgeKind,
    EdgeRow,
    GraphData,
    GraphTables,
    NodeKind,
    node_id,
)
from lernnetz.graph.store import cypher as cy
from lernnetz.graph.store import neo4j_loads as loads
from lernnetz.graph.store import protocol as S
from lernnetz.graph.tables import build_tables

log = logging.getLogger(__name__)
INDEX_TIMEOUT_S = 300


class Neo4jWriter:
    """Schema, atomic generation loads and wipe; mixed into ``Neo4jStore`` (which provides
    ``_run``, the lock and the table cache)."""

    driver: Driver
    database: str
    graph_id: str
    batch_size: int
    _schema_ready: bool
    _lock: AbstractContextManager[Any]
    _cache: dict[str, Any]
    _cache_state: tuple[int, int] | None

    _run: Callable[..., list[list[Any]]]  # Neo4jStore._run: one statement, values as parameters

    def ensure_schema(self) -> None:
        """Create the constraints and indexes (idempotent)."""
        for statement in cy.schema_statements():
            self._run(statement, write=True)
        self._schema_ready = True

    def replace(self, data: GraphData, *, progress: S.ProgressFn | None = None) -> None:
        """Load the graph as a new generation and switch to it (see module docstring).

        ``progress`` is called after every written batch (stage ``nodes`` or ``edges``;
        ``done``/``total`` count rows of both stages together)."""
        tables = build_tables(data)
        nodes, edges, expected_nodes, expected_edges = prepare(tables)
        if not self._schema_ready:
            self.ensure_schema()
        (gen, _active), *_ = self._run(cy.NEXT_GENERATION, write=True, graph_id=self.graph_id)
        gen = int(gen)
        with loads.heartbeat(self.driver, self.database, self.graph_id, gen):
            self._write_generation(tables, gen, nodes, edges, expected_nodes, expected_edges, progress)
        with self._lock:
            self._cache, self._cache_state = {}, None
        try:  # the replaced generation; leftovers are invisible and removed by the next load
            loads.sweep(self._run, self.graph_id, self.batch_size)
        except Exception as exc:  # pragma: no cover - depends on the server dying mid-way
            log.warning("could not delete the replaced generation: %s", exc)

    def _write_generation(
        self,
        tables: GraphTables,
        gen: int,
        nodes: dict[NodeKind, list[dict[str, Any]]],
        edges: dict[tuple[EdgeKind, NodeKind, NodeKind], list[dict[str, Any]]],
        expected_nodes: dict[str, int],
        expected_edges: dict[str, int],
        progress: S.ProgressFn | None,
    ) -> None:
        """Sweep killed loads' orphans, write generation ``gen``, verify it and switch to it;
        on any failure delete it and re-raise (the previous generation stays active)."""
        loads.sweep(self._run, self.graph_id, self.batch_size)
        total = sum(len(r) for r in nodes.values()) + sum(len(r) for r in edges.values())
        done = 0
        try:
            for node_kind, rows in nodes.items():
                query = cy.merge_nodes(node_kind)
                for batch in _batches(rows, self.batch_size):
                    self._write_batch(query, batch, gen, f"{node_kind.value} nodes")
                    done += len(batch)
                    if progress is not None:
                        progress("nodes", done, total)
            for (edge_kind, src, dst), edge_rows in edges.items():
                query = cy.merge_edges(edge_kind, src, dst, EDGE_IDENTITY.get(edge_kind, ()))
                for batch in _batches(edge_rows, self.batch_size):
                    self._write_batch(query, batch, gen, f"{edge_kind.value} edges")
                    done += len(batch)
                    if progress is not None:
                        progress("edges", done, total)
            self._run(cy.AWAIT_INDEXES, write=True, timeout=INDEX_TIMEOUT_S)
            self._verify(gen, expected_nodes, expected_edges)
        except BaseException:
            self._discard(gen)
            raise
        self._run(
            cy.SWITCH_GENERATION,
            write=True,
            graph_id=self.graph_id,
            gen=gen,
            meta=json.dumps(tables.meta, ensure_ascii=False, sort_keys=True),
        )

    def _write_batch(self, query: str, batch: list[dict[str, Any]], gen: int, what: str) -> None:
        try:
            self._run(query, write=True, rows=batch, gen=gen)
        except ClientError as exc:
            raise InvalidArgument(f"Neo4j rejected a batch of {what}: {exc.message}") from exc

    def _verify(self, gen: int, nodes: dict[str, int], edges: dict[str, int]) -> None:
        got_nodes = {k: int(n) for k, n in self._run(cy.count_nodes(), gen=gen) if n}
        got_edges = {k: int(n) for k, n in self._run(cy.COUNT_EDGES, gen=gen)}
        if got_nodes != {k: n for k, n in nodes.items() if n} or got_edges != edges:
            raise StoreUnavailable(
                f"the load into Neo4j is incomplete (nodes {got_nodes} of {nodes}, "
                f"relationships {got_edges} of {edges}); the previous graph is still active"
            )

    def _discard(self, gen: int) -> None:
        """Delete the failed generation ``gen``.

        Failures are logged, not raised: leftovers are invisible to readers and removed
        at the start of the next load.
        """
        try:
            for kind in NodeKind:
                query = cy.delete_generation_batch(kind, keep=False)
                while self._run(query, write=True, gen=gen, batch=self.batch_size)[0][0]:
                    pass
        except Exception as exc:  # pragma: no cover - depends on the server dying mid-way
            log.warning("could not delete failed generation %s: %s", gen, exc)

    def wipe(self) -> None:
        """Delete everything, the pointer included (for tests and re-initialisation)."""
        while self._run(cy.DELETE_ALL_BATCH, write=True, batch=self.batch_size)[0][0]:
            pass
        with self._lock:
            self._cache, self._cache_state = {}, None


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _edge_payload(e: EdgeRow) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The identity of an edge (as the NetworkX store keys it) and its Neo4j row."""
    identity = EDGE_IDENTITY.get(e.kind, ())
    ident = {f: str(e.props.get(f) or "") for f in identity}
    props = {k: v for k, v in e.props.items() if k not in identity}
    key = (e.kind, e.src_kind, e.src, e.dst_kind, e.dst, *ident.values())
    return key, {"src": e.src, "dst": e.dst, "ident": ident, "props": props}


def group_edges(rows: list[EdgeRow]) -> dict[tuple[EdgeKind, NodeKind, NodeKind], list[dict[str, Any]]]:
    """Edge rows per (type, source kind, target kind); repeated edges merged, the last
    row's properties winning (as NetworkX's ``add_edge`` updates an existing edge)."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in rows:
        key, payload = _edge_payload(e)
        if key in merged:
            merged[key]["props"].update(payload["props"])
        else:
            merged[key] = payload
    groups: dict[tuple[EdgeKind, NodeKind, NodeKind], list[dict[str, Any]]] = defaultdict(list)
    for key, payload in merged.items():
        groups[(key[0], key[1], key[3])].append(payload)
    return dict(groups)


def prepare(
    tables: GraphTables,
) -> tuple[
    dict[NodeKind, list[dict[str, Any]]],
    dict[tuple[EdgeKind, NodeKind, NodeKind], list[dict[str, Any]]],
    dict[str, int],
    dict[str, int],
]:
    """Neo4j rows for a load, checked like :func:`lernnetz.graph.store.nx_snapshot.graph_from_tables`."""
    nodes: dict[NodeKind, dict[str, dict[str, Any]]] = defaultdict(dict)
    for n in tables.nodes:
        have = nodes[n.kind].get(n.key)
        if have is None:
            nodes[n.kind][n.key] = {"key": n.key, "nid": node_id(n.kind, n.key), "props": dict(n.props)}
        else:
            have["props"].update(n.props)
    for e in tables.edges:
        for kind, key in ((e.src_kind, e.src), (e.dst_kind, e.dst)):
            if key not in nodes.get(kind, {}):
                raise InvalidArgument(f"{e.kind.value} edge refers to an unknown node {node_id(kind, key)!r}")
    edges = group_edges(tables.edges)
    expected_nodes = {k.value: len(v) for k, v in nodes.items()}
    expected_edges: dict[str, int] = defaultdict(int)
    for (edge_kind, _, _), edge_rows in edges.items():
        expected_edges[edge_kind.value] += len(edge_rows)
    node_rows = {k: list(v.values()) for k, v in nodes.items()}
    return node_rows, edges, expected_nodes, dict(expected_edges)
