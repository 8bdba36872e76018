"""The embedded store's table builders: the protocol's frames made from NetworkX edges.

Holds the pure functions :class:`lernnetz.graph.store.nx_store.NetworkXStore` uses to turn its
graph's edges into the fixed-column frames of :mod:`lernnetz.graph.store.protocol`: project
territories (every Gemeinde a project reaches, and how), KTS ties, the row makers of the member,
participation (Gemeinde level, Kreis/Verband level) and programme-participation tables, the frame of
a radius query, and what an import adds (new edges, the Association nodes they need). They take the graph or its edges
grouped by type as arguments and keep no state; caching stays with the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.levels import edge_associations, new_association_rows
from lernnetz.graph.model import (
    TIE_END_NAME,
    TIE_KINDS,
    EdgeKind,
    EdgeRow,
    NodeKind,
    edge_key,
    node_id,
    split_node_id,
)
from lernnetz.graph.store import protocol as S

if TYPE_CHECKING:
    import networkx as nx


class EdgeGroup:
    """Edges of one type as three columns (source, target, data); iterates as ``(u, v, data)``
    triples. Columns, not a tuple per edge: the 10x register's 223,000 edges would otherwise be
    as many objects for the cyclic collector to walk after the context build."""

    __slots__ = ("d", "u", "v")

    def __init__(self) -> None:
        self.u: list[str] = []
        self.v: list[str] = []
        self.d: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self.u)

    def __iter__(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        return zip(self.u, self.v, self.d, strict=True)


#: Edges as ``(u, v, data)`` triples.
Edges = Iterable[tuple[str, str, dict[str, Any]]]
#: The cached tables made from edges (dropped when an import adds edges).
EDGE_TABLES = ("interests", "attendances", "level_interests", "level_attendances", "counts", "undirected",
               "relations")  # fmt: skip
#: The participation ``level`` of a District or Association node.
_LEVEL_OF = {NodeKind.DISTRICT: "kreis", NodeKind.ASSOCIATION: "verband"}
_MUNICIPALITY = NodeKind.MUNICIPALITY.value + ":"


def edges_by_type(graph: nx.MultiDiGraph[str]) -> dict[str, EdgeGroup]:
    """Every edge grouped by type, in the graph's edge order: the adjacency walked as
    ``G.edges(data=True)`` walks it, without the view's generator and report call per edge
    (223,000 edges on the 10x register)."""
    edges: dict[str, EdgeGroup] = {}
    for u, nbrs in graph._adj.items():
        for v, keyed in nbrs.items():
            for d in keyed.values():
                group = edges.get(d["type"])
                if group is None:
                    group = edges[d["type"]] = EdgeGroup()
                group.u.append(u)
                group.v.append(v)
                group.d.append(d)
    return edges


def nodes_by_kind(graph: nx.MultiDiGraph[str]) -> dict[str, list[dict[str, Any]]]:
    """Every node's data grouped by its kind (the id's part before the first ``:``), in the
    graph's node order: one pass for all node tables and counts (not one per table)."""
    nodes: dict[str, list[dict[str, Any]]] = {}
    for n, d in graph._node.items():
        group = nodes.get(k := n.partition(":")[0])
        if group is None:
            group = nodes[k] = []
        group.append(d)
    return nodes


def _has_nan(df: pd.DataFrame, columns: list[str]) -> bool:
    """Whether a column holds NaN (or something that is not equal to itself): the one missing
    value Python's sort orders silently (None raises, and equals None as pandas' ties do)."""
    try:
        return any(bool(np.not_equal(a, a).any()) for a in (df[c].to_numpy() for c in columns))
    except (TypeError, ValueError):  # pd.NA and other values without a truth value
        return True


def graph_counts(nodes: Mapping[str, list[Any]], edges: Mapping[str, EdgeGroup]) -> dict[str, dict[str, int]]:
    """Counts per node kind and per edge type (every kind and type, 0 where there is none)."""
    counts: dict[str, int] = {k.value: 0 for k in NodeKind}
    for k, group in nodes.items():
        counts[k] += len(group)
    per_type: dict[str, int] = {k.value: 0 for k in EdgeKind}
    for t, edges_of in edges.items():
        per_type[t] += len(edges_of)
    return {"nodes": counts, "edges": per_type}


def sorted_frame(rows: list[list[Any]], columns: list[str], order: list[str]) -> pd.DataFrame:
    """``pd.DataFrame(rows, columns=columns)`` sorted stably by ``order`` (missing values last),
    as ``sort_values(order, kind="mergesort").reset_index(drop=True)`` sorts it. The rows are
    sorted by Python's own comparison first (stable, and fast on rows that come nearly in order:
    the 100,000 interests in 0.02 s against 0.15 s for pandas' factorising sort); that order is
    pandas' exactly when no sort column holds a missing value (None raises, NaN is checked),
    else pandas sorts the rows as given."""
    at = [columns.index(c) for c in order]
    try:
        ranked = sorted(rows) if at == list(range(len(columns))) else sorted(rows, key=itemgetter(*at))
    except TypeError:  # None, or values that do not compare with each other
        ranked = None
    if ranked is not None:
        df = pd.DataFrame(ranked, columns=columns)
        if not _has_nan(df, order):
            return df
    return pd.DataFrame(rows, columns=columns).sort_values(order, kind="mergesort").reset_index(drop=True)


def interest_row(u: str, v: str, d: dict[str, Any]) -> list[Any] | None:
    """An INTERESTED_IN edge of a Gemeinde as a row of ``interests`` (None for a Kreis or Verband)."""
    if not u.startswith(_MUNICIPALITY):
        return None
    return [u.partition(":")[2], v.partition(":")[2], d.get("kind", ""), d.get("date", ""), d.get("source", ""),
            float(d.get("weight", 1.0)), d.get("event_id", "")]  # fmt: skip


def edge_rows(edges: Edges, row: Callable[[str, str, dict[str, Any]], list[Any] | None]) -> list[list[Any]]:
    """``row(u, v, d)`` of every edge, where it gives one (interest rows inlined: 100,000 calls on
    the 10x register)."""
    if row is interest_row:
        pre, n = _MUNICIPALITY, len(_MUNICIPALITY)
        return [[u[n:], v.partition(":")[2], d.get("kind", ""), d.get("date", ""), d.get("source", ""),
                 float(d.get("weight", 1.0)), d.get("event_id", "")] for u, v, d in edges if u.startswith(pre)]  # fmt: skip
    return [r for u, v, d in edges if (r := row(u, v, d)) is not None]


def attendance_row(u: str, v: str, d: dict[str, Any]) -> list[Any] | None:
    """An ATTENDED edge of a Gemeinde as a row of ``attendances`` (None for a Kreis or Verband)."""
    if not u.startswith(_MUNICIPALITY):
        return None
    return [
        u.partition(":")[2],
        v.partition(":")[2],
        d.get("kind", ""),
        d.get("date", ""),
        d.get("source", ""),
    ]


def level_interest_row(u: str, v: str, d: dict[str, Any]) -> list[Any] | None:
    """An INTERESTED_IN edge of a Kreis or Verband as a row of ``level_interests`` (else None)."""
    kind, key = split_node_id(u)
    if kind not in _LEVEL_OF:
        return None
    return [_LEVEL_OF[kind], key, split_node_id(v)[1], d.get("kind", ""), d.get("date", ""), d.get("source", ""),
            float(d.get("weight", 1.0)), d.get("event_id", "")]  # fmt: skip


def level_attendance_row(u: str, v: str, d: dict[str, Any]) -> list[Any] | None:
    """An ATTENDED edge of a Kreis or Verband as a row of ``level_attendances`` (else None)."""
    kind, key = split_node_id(u)
    if kind not in _LEVEL_OF:
        return None
    return [
        _LEVEL_OF[kind],
        key,
        split_node_id(v)[1],
        d.get("kind", ""),
        d.get("date", ""),
        d.get("source", ""),
    ]


def territory_frame(G: nx.MultiDiGraph[str], member_edges: Edges) -> pd.DataFrame:
    """Every (project, Gemeinde) of the projects' territories, with the way it is in."""
    # (project, ags, via, rank): the most specific listing names the way in —
    # the Gemeinde itself (0), its Gemeindeverband (1), its whole Kreis (2)
    rows: list[tuple[str, str, str, int]] = []
    for u, v, d in member_edges:
        pid = split_node_id(v)[1]
        kind, key = split_node_id(u)
        if kind == NodeKind.MUNICIPALITY:
            via = d.get("via") or "gemeinde"
            rows.append((pid, key, via, 0 if via == "gemeinde" else 1))
        else:
            name = G.nodes[u].get("name", key)
            for m, _, t in G.in_edges(u, data="type"):
                if t == EdgeKind.IN_DISTRICT:
                    rows.append((pid, split_node_id(m)[1], name, 2))
    df = pd.DataFrame(rows, columns=[*S.TERRITORY_COLUMNS, "rank"])
    df = df.sort_values(["project_id", "ags", "rank", "via"]).drop_duplicates(["project_id", "ags"])
    return df[S.TERRITORY_COLUMNS].reset_index(drop=True)


def association_nodes(
    G: nx.MultiDiGraph[str],
    rows: list[EdgeRow],
    municipalities: Callable[[], pd.DataFrame],
    meta: dict[str, Any],
) -> list[tuple[str, dict[str, Any]]]:
    """The Association nodes edges need that the graph lacks (a Verband named for the first time
    by an import), made as a load makes them (:mod:`lernnetz.graph.levels`)."""
    keys = [k for k in edge_associations(rows) if not G.has_node(node_id(NodeKind.ASSOCIATION, k))]
    if not keys:
        return []
    return [(node_id(n.kind, n.key), {"kind": n.kind.value, **n.props})
            for n in new_association_rows(keys, municipalities(), meta)]  # fmt: skip


def new_edges(
    G: nx.MultiDiGraph[str], rows: list[EdgeRow], what: str, extra: set[str]
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The edges of ``rows`` the graph does not hold yet, as ``(u, v, key, data)``. An end that is
    neither in the graph nor in ``extra`` (nodes about to be added) raises :class:`InvalidArgument`."""
    for r in rows:
        for kind, key in ((r.src_kind, r.src), (r.dst_kind, r.dst)):
            if not G.has_node(node_id(kind, key)) and node_id(kind, key) not in extra:
                raise InvalidArgument(f"{what} refers to an unknown {kind} {key!r}")
    new = []
    for r in rows:
        u, v, k = node_id(r.src_kind, r.src), node_id(r.dst_kind, r.dst), edge_key(r.kind, r.props)
        if not G.has_edge(u, v, key=k):
            new.append((u, v, k, {"type": r.kind.value, **r.props}))
    return new


def relation_frame(edges_by_type: Mapping[str, Edges]) -> pd.DataFrame:
    """The typed KTS ties, sorted."""
    ties = {t.value for t in TIE_KINDS}
    rows = []
    for u, v, d in (e for t in sorted(ties) for e in edges_by_type.get(t, [])):
        if d["type"] in ties:
            fk, fkey = split_node_id(u)
            tk, tkey = split_node_id(v)
            rows.append([d["type"], _tie_name(fk), fkey, _tie_name(tk), tkey,
                         d.get("source", ""), d.get("confidence", ""), d.get("note", "")])  # fmt: skip
    df = pd.DataFrame(rows, columns=S.RELATION_COLUMNS)
    return df.sort_values(S.RELATION_COLUMNS).reset_index(drop=True)


def member_row(u: str, v: str, d: dict[str, Any]) -> list[Any]:
    """A MEMBER_OF edge as a row of ``members``."""
    kind, key = split_node_id(u)
    return [split_node_id(v)[1], kind.value, key, d.get("role", ""), d.get("level", ""),
            d.get("via", ""), d.get("source", ""), d.get("confidence", ""), d.get("note", "")]  # fmt: skip


def programme_participation_row(u: str, v: str, d: dict[str, Any]) -> list[Any]:
    """A PARTICIPATES_IN edge as a row of ``programme_participation``."""
    return [split_node_id(v)[1], split_node_id(u)[1], d.get("level", ""), d.get("name", ""),
            d.get("role", ""), d.get("year", ""), list(d.get("topics") or []), d.get("topic_evidence", ""),
            d.get("source", ""), d.get("confidence", ""), d.get("note", "")]  # fmt: skip


def near_frame(ags: np.ndarray[Any, Any], dist: np.ndarray[Any, Any]) -> pd.DataFrame:
    """The frame of a radius query: ``ags`` (object) and ``distance_km`` (float64)."""
    # built column by column: half the cost of a dict of Series in pandas 3, same dtypes (object, float64)
    df = pd.DataFrame({"distance_km": np.asarray(dist, dtype=np.float64)}, copy=False)
    df.insert(0, "ags", pd.Series(np.asarray(ags, dtype=object), dtype=object, copy=False))
    return df


def _tie_name(kind: NodeKind) -> str:
    return TIE_END_NAME.get(kind, "municipality")
