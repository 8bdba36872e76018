"""The embedded store: one NetworkX ``MultiDiGraph`` in memory, a snapshot on disk.

* Nodes are ``"Kind:key"`` strings with the properties of :mod:`lernnetz.graph.model`;
  parallel edges are keyed by :func:`lernnetz.graph.model.edge_key`.
* Radius queries use a k-d tree (SciPy ``cKDTree``) over the centre points as 3-D unit
  vectors: the straight-line (chord) distance between two unit vectors is a monotone
  function of their great-circle distance, ``chord = 2 sin(d / 2R)``, so a ball query with
  the chord of the radius returns exactly the points within the radius on the sphere —
  without the per-call validation overhead of scikit-learn's haversine ``BallTree``
  (6 µs instead of 67 µs per query here). The reported distances are recomputed with
  :func:`lernnetz.graph.geo.haversine_km`, the same formula the Neo4j store uses.
* The snapshot (``graph.pickle`` in the data directory) is written to a temporary
  file and moved into place with ``os.replace``: a failed load or import leaves the
  previous snapshot untouched. Reading it back skips parsing the register. The snapshot and
  the warm cache beside it are written and read by :mod:`lernnetz.graph.store.nx_snapshot`.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd

from lernnetz.graph.errors import NoGraph
from lernnetz.graph.geo import SpatialIndex
from lernnetz.graph.model import (
    EdgeKind,
    EdgeRow,
    GraphData,
    NodeKind,
    participation_edges,
    split_node_id,
    tie_edges,
)
from lernnetz.graph.store import protocol as S
from lernnetz.graph.store.nx_frames import (
    EDGE_TABLES,
    EdgeGroup,
    association_nodes,
    attendance_row,
    edge_rows,
    edges_by_type,
    graph_counts,
    interest_row,
    level_attendance_row,
    level_interest_row,
    member_row,
    near_frame,
    new_edges,
    nodes_by_kind,
    programme_participation_row,
    relation_frame,
    sorted_frame,
    territory_frame,
)
from lernnetz.graph.store.nx_snapshot import (
    _WARM_TABLES,
    Packed,
    _identity,
    graph_from_tables,
    read_snapshot,
    read_warm,
    unpacked,
    write_snapshot,
    write_warm,
)
from lernnetz.graph.tables import build_tables
from lernnetz.loaders.records import ParticipationRecord, RelationRecord

if TYPE_CHECKING:  # networkx is imported where a graph is built or searched: a process that
    import networkx as nx  # answers from the warm cache never needs it

_T = TypeVar("_T")
_STRUCTURAL = {EdgeKind.IN_DISTRICT.value, EdgeKind.IN_STATE.value}


class NetworkXStore:
    """The embedded default store (see module docstring)."""

    backend = "networkx"

    def __init__(self, snapshot: str | Path | None = None) -> None:
        self.snapshot = Path(snapshot) if snapshot is not None else None
        self._lock = threading.RLock()
        self.G: nx.MultiDiGraph[str] | None = None
        self.meta: dict[str, Any] = {}
        self._cache: dict[str, pd.DataFrame] = {}
        self._derived: dict[str, Any] = {}  # indexes over the tables; dropped with every change
        self._edges: dict[str, EdgeGroup] | None = None
        self._nodes: dict[str, list[dict[str, Any]]] | None = None  # node data by kind, as _edges
        self._tree: SpatialIndex | None = None
        self._tree_xyz = np.zeros((0, 3), dtype=np.float64)
        self._tree_ags: np.ndarray[Any, np.dtype[np.str_]] = np.array([], dtype=str)
        self._tree_lat = np.array([], dtype=np.float64)
        self._tree_lon = np.array([], dtype=np.float64)
        self._ags_index: dict[str, int] = {}
        self._snapshot_id: tuple[int, int, int] | None = None  # the file our state came from
        #: the snapshot identity the in-memory state came from, while the graph itself is not read
        self._lazy: tuple[int, int, int] | None = None
        self._warm_saved: frozenset[str] = frozenset()
        if self.snapshot is not None and self.snapshot.exists() and not self._read_warm(self.snapshot):
            self._read_snapshot(self.snapshot)

    # ------------------------------------------------------------------ lifecycle

    def replace(self, data: GraphData, *, progress: S.ProgressFn | None = None) -> None:
        """Build a new graph from the records; swap it in only if everything succeeded.
        ``progress`` hears of the three steps: tables, graph, snapshot."""
        step = progress or (lambda _stage, _done, _total: None)
        tables = build_tables(data)
        step("tables", 1, 3)
        graph = graph_from_tables(tables)
        step("graph", 2, 3)
        with self._lock:
            if self.snapshot is not None:
                self._snapshot_id = write_snapshot(self.snapshot, graph, tables.meta)
            self._install(graph, tables.meta)
        step("snapshot", 3, 3)

    def add_participation(self, records: Sequence[ParticipationRecord]) -> int:
        """Add INTERESTED_IN/ATTENDED edges; existing identical edges are left as they are."""
        return self._add_edges(participation_edges(list(records)), "participation")

    def add_ties(self, records: Sequence[RelationRecord]) -> int:
        """Add typed KTS ties (ROLE_MODEL_FOR …); an existing tie of the same type between the
        same two nodes is left as it is. Returns how many are new."""
        return self._add_edges(tie_edges(list(records)), "a tie")

    def _add_edges(self, rows: list[EdgeRow], what: str) -> int:
        with self._lock:
            G = self._graph()
            # a Verband named for the first time gets its node, as a load makes it
            nodes = association_nodes(G, rows, self.municipalities, self.meta)
            new = new_edges(G, rows, what, {n for n, _ in nodes})
            if not new:
                return 0
            G.add_nodes_from(nodes)
            G.add_edges_from(new)
            try:
                if self.snapshot is not None:
                    self._snapshot_id = write_snapshot(self.snapshot, G, self.meta)
            except BaseException:
                G.remove_edges_from([(u, v, k) for u, v, k, _ in new])
                G.remove_nodes_from(n for n, _ in nodes)
                raise
            for name in EDGE_TABLES:
                self._cache.pop(name, None)
            self._derived, self._warm_saved, self._edges, self._nodes = {}, frozenset(), None, None
            return len({(u, v, k) for u, v, k, _ in new})

    def info(self) -> dict[str, Any]:
        """Backend, metadata and counts per node and edge kind."""
        cached: Any = self._cache.get("counts")  # cleared by _install and add_participation
        if cached is None:
            cached = graph_counts(self._nodes_by_kind(), self._edges_by_type())
            self._cache["counts"] = cached
        return {
            "backend": self.backend,
            **self.meta,
            "nodes": dict(cached["nodes"]),
            "edges": dict(cached["edges"]),
        }

    def derived(self, name: str, build: Callable[[], _T]) -> _T:
        """``build()`` (an index over the tables), kept until the graph changes (a load or an
        import drops it): lookups are dict hits, not scans of whole frames per call."""
        key = "derived:" + name
        hit = self._derived.get(key)
        if hit is not None and not isinstance(hit, Packed):
            return cast(_T, hit)
        with self._lock:
            derived = self._derived
            hit = unpacked(derived, key)
            if hit is None:
                hit = build()
                derived[key] = hit
            return cast(_T, hit)

    def ping(self) -> None:
        """The embedded store is always reachable once a graph is loaded."""
        self._graph()

    def close(self) -> None:
        """Nothing to release."""

    def stale(self) -> bool:
        """Whether the snapshot file is no longer the one this store read or wrote last (a
        write by another process replaced it: a new inode, size or mtime)."""
        return self.snapshot is not None and _identity(self.snapshot) != self._snapshot_id

    def refresh(self) -> bool:
        """Re-read the snapshot if another process replaced it; returns whether it did."""
        with self._lock:
            if not self.stale():
                return False
            assert self.snapshot is not None
            if self.snapshot.exists():
                if not self._read_warm(self.snapshot):  # its warm cache when it has one, else the graph
                    self._read_snapshot(self.snapshot)
            else:
                gc.unfreeze()
                self.G, self.meta, self._cache, self._derived = None, {}, {}, {}
                self._lazy = self._snapshot_id = None
            return True

    @property
    def loaded(self) -> bool:
        """Whether a graph is loaded (or its warm cache, with the graph read on first need)."""
        return self.G is not None or self._lazy is not None

    # ------------------------------------------------------------------ warm cache

    def persist_warm(self) -> bool:
        """Write the warm cache beside the snapshot (atomically) when this process built tables or
        indexes it did not have: the next process opens the tables, the analytics context and the
        region index from it instead of rebuilding them, and reads the graph itself only when a
        question needs it (paths, imports). Valid only for the very snapshot file (size, mtime,
        inode); any other snapshot ignores it. Returns whether it wrote."""
        if self.snapshot is None or not self.loaded:
            return False
        with self._lock:
            self._graph_if_needed_for_tables()
            for name in _WARM_TABLES:
                getattr(self, name)()
            self.info()
            keys = frozenset(self._cache) | frozenset(self._derived)
            if keys <= self._warm_saved:
                return False
            identity = self._snapshot_id  # the file our state came from (read or written)
            if identity is None or _identity(self.snapshot) != identity:
                return False  # another process replaced the snapshot: our state is not its state
            cache = {k: v for k, v in self._cache.items() if k != "undirected"}
            if not write_warm(self.snapshot, identity, self.meta, cache, dict(self._derived)):
                return False  # only a cache: the next process rebuilds
            self._warm_saved = keys
            return True

    def _graph_if_needed_for_tables(self) -> None:
        if any(name not in self._cache for name in _WARM_TABLES):
            self._graph()

    def _read_warm(self, snapshot: Path) -> bool:
        """Open the tables and indexes from a warm cache that belongs to this snapshot file."""
        found = read_warm(snapshot)
        if found is None:
            return False
        payload, identity = found
        gc.unfreeze()  # as in _install
        self.G, self.meta = None, dict(payload["meta"])
        self._cache, self._derived = dict(payload["cache"]), dict(payload["derived"])
        self._lazy = self._snapshot_id = identity
        self._index_points()
        self._warm_saved = frozenset(self._cache) | frozenset(self._derived)
        return True

    # ------------------------------------------------------------------ node tables

    def municipalities(self, ags: Sequence[str] | None = None) -> pd.DataFrame:
        df = self._table("municipalities", NodeKind.MUNICIPALITY, S.MUNICIPALITY_COLUMNS, ["ags"])
        if ags is None:
            return df
        return self._select("municipalities", df, "ags", ags)

    def districts(self) -> pd.DataFrame:
        return self._table("districts", NodeKind.DISTRICT, S.DISTRICT_COLUMNS, ["key"])

    def states(self) -> pd.DataFrame:
        return self._table("states", NodeKind.STATE, S.STATE_COLUMNS, ["code"])

    def projects(self) -> pd.DataFrame:
        return self._table("projects", NodeKind.PROJECT, S.PROJECT_COLUMNS, ["id"])

    def topics(self) -> pd.DataFrame:
        return self._table("topics", NodeKind.TOPIC, S.TOPIC_COLUMNS, ["slug"])

    def events(self) -> pd.DataFrame:
        return self._table("events", NodeKind.EVENT, S.EVENT_COLUMNS, ["date_start", "id"])

    # ------------------------------------------------------------------ edge tables

    def territories(self, project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        if "territories" not in self._cache:
            G = self._graph()
            self._cache["territories"] = territory_frame(
                G, self._edges_by_type().get(EdgeKind.MEMBER_OF.value, [])
            )
        df = self._cache["territories"]
        if project_ids is None:
            return df
        return self._select("territories", df, "project_id", project_ids)

    def members(self, project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        df = self._edge_table(
            "members", EdgeKind.MEMBER_OF, S.MEMBER_COLUMNS, member_row, ["project_id", "kind", "key"]
        )
        if project_ids is None:
            return df
        return self._select("members", df, "project_id", project_ids)

    def project_topics(self) -> pd.DataFrame:
        return self._edge_table(
            "project_topics", EdgeKind.ADDRESSES, S.PROJECT_TOPIC_COLUMNS,
            lambda u, v, d: [split_node_id(u)[1], split_node_id(v)[1], d.get("source", ""), d.get("confidence", "")],
            ["project_id", "topic"],
        )  # fmt: skip

    def event_topics(self) -> pd.DataFrame:
        return self._edge_table(
            "event_topics", EdgeKind.FOCUSES_ON, S.EVENT_TOPIC_COLUMNS,
            lambda u, v, d: [split_node_id(u)[1], split_node_id(v)[1], d.get("source", ""), d.get("confidence", "")],
            ["event_id", "topic"],
        )  # fmt: skip

    def event_hosts(self) -> pd.DataFrame:
        return self._edge_table(
            "event_hosts", EdgeKind.HOSTED, S.EVENT_HOST_COLUMNS,
            lambda u, v, d: [split_node_id(v)[1], split_node_id(u)[1]],
            ["event_id", "project_id"],
        )  # fmt: skip

    def interests(
        self, ags: Sequence[str] | None = None, topics: Sequence[str] | None = None
    ) -> pd.DataFrame:
        df = self._edge_table("interests", EdgeKind.INTERESTED_IN, S.INTEREST_COLUMNS, interest_row,
                              S.INTEREST_COLUMNS)  # fmt: skip
        if ags is not None:
            df = self._select("interests", df, "ags", ags)
        if topics is not None:
            df = df[df["topic"].isin(list(topics))]
        return df.reset_index(drop=True)

    def attendances(self, ags: Sequence[str] | None = None) -> pd.DataFrame:
        df = self._edge_table("attendances", EdgeKind.ATTENDED, S.ATTENDANCE_COLUMNS, attendance_row,
                              S.ATTENDANCE_COLUMNS)  # fmt: skip
        return df if ags is None else self._select("attendances", df, "ags", ags)

    def level_interests(self) -> pd.DataFrame:
        return self._edge_table("level_interests", EdgeKind.INTERESTED_IN, S.LEVEL_INTEREST_COLUMNS,
                                level_interest_row, S.LEVEL_INTEREST_COLUMNS)  # fmt: skip

    def level_attendances(self) -> pd.DataFrame:
        return self._edge_table("level_attendances", EdgeKind.ATTENDED, S.LEVEL_ATTENDANCE_COLUMNS,
                                level_attendance_row, S.LEVEL_ATTENDANCE_COLUMNS)  # fmt: skip

    def relations(self) -> pd.DataFrame:
        if "relations" not in self._cache:
            self._cache["relations"] = relation_frame(self._edges_by_type())
        return self._cache["relations"]

    def programmes(self) -> pd.DataFrame:
        return self._table("programmes", NodeKind.PROGRAMME, S.PROGRAMME_COLUMNS, ["id"])

    def programme_participation(self) -> pd.DataFrame:
        return self._edge_table(
            "programme_participation", EdgeKind.PARTICIPATES_IN, S.PROGRAMME_PARTICIPATION_COLUMNS,
            programme_participation_row,
            ["programme_id", "level", "key", "role", "year"],
        )  # fmt: skip

    # ------------------------------------------------------------------ spatial, paths

    def near(self, centres: Sequence[str], radius_km: float) -> pd.DataFrame:
        if not self.loaded:
            self._graph()  # raises NoGraph
        idx = [self._ags_index[a] for a in dict.fromkeys(centres) if a in self._ags_index]
        if self._tree is None or not idx:
            return near_frame(np.array([], dtype=str), np.array([], dtype=np.float64))
        found, dist = self._tree.near(np.asarray(idx, dtype=np.intp), radius_km)
        if len(found) == 0:
            return near_frame(np.array([], dtype=str), np.array([], dtype=np.float64))
        ags = self._tree_ags[found]
        order = np.lexsort((ags, dist))
        return near_frame(ags[order], dist[order])

    def shortest_paths(
        self, source: str, target: str, *, max_hops: int = 6, limit: int = 5
    ) -> list[list[str]]:
        G = self._graph()
        if source not in G or target not in G:
            return []
        if "undirected" not in self._cache:
            import networkx as nx

            U: nx.Graph[str] = nx.Graph()
            U.add_nodes_from(G.nodes)
            U.add_edges_from((u, v) for u, v, t in G.edges(data="type") if t not in _STRUCTURAL)
            self._cache["undirected"] = U
        U = self._cache["undirected"]
        import networkx as nx

        try:
            paths = nx.all_shortest_paths(U, source, target)
            out: list[list[str]] = []
            for p in paths:
                if len(p) - 1 > max_hops:
                    return []
                out.append(list(p))
                if len(out) >= 1000:
                    break
        except nx.NetworkXNoPath:
            return []
        return sorted(out)[:limit]

    # ------------------------------------------------------------------ internals

    def _graph(self) -> nx.MultiDiGraph[str]:
        if self.G is None and self._lazy is not None:
            self._read_lazy_graph()
        if self.G is None:
            raise NoGraph(
                "no graph is loaded yet",
                hint="run `lernnetz data fetch --from PATH` and `lernnetz load` first",
            )
        return self.G

    def _read_lazy_graph(self) -> None:
        """Read the graph a warm cache stood in for; if the snapshot is another one by now, take
        the new one whole (tables and indexes rebuilt from it), never a mix of both. ``G`` is set
        before ``_lazy`` is cleared, so other threads never see neither."""
        with self._lock:
            expected = self._lazy
            if self.G is not None or expected is None or self.snapshot is None:
                return
            payload, identity = read_snapshot(self.snapshot)
            if identity != expected:  # replaced since the warm cache was read
                self._install(payload["graph"], payload["meta"])
                self._snapshot_id = identity
                return
            self.G = payload["graph"]
            self._lazy = None

    def _install(self, graph: nx.MultiDiGraph[str], meta: dict[str, Any]) -> None:
        gc.unfreeze()  # the old graph (frozen by the analytics context build) goes back to the collector
        self.G, self.meta, self._cache, self._derived = graph, dict(meta), {}, {}
        self._edges = self._nodes = None
        self._lazy, self._warm_saved = None, frozenset()
        self._index_points()

    def _index_points(self) -> None:
        m = self.municipalities()
        located = m[m["lat"].notna() & m["lon"].notna()]
        self._tree_ags = located["ags"].to_numpy(dtype=str)
        self._tree_lat = located["lat"].to_numpy(dtype=np.float64)
        self._tree_lon = located["lon"].to_numpy(dtype=np.float64)
        self._ags_index = {a: i for i, a in enumerate(self._tree_ags)}
        self._tree = SpatialIndex(self._tree_lat, self._tree_lon) if len(located) else None

    def _read_snapshot(self, path: Path) -> None:
        payload, identity = read_snapshot(path)
        self._install(payload["graph"], payload["meta"])
        self._snapshot_id = identity

    def _table(self, name: str, kind: NodeKind, columns: list[str], order: list[str]) -> pd.DataFrame:
        if name not in self._cache:
            rows = [[d.get(c) for c in columns] for d in self._nodes_by_kind().get(kind.value, [])]
            df = pd.DataFrame(rows, columns=columns)
            self._cache[name] = df.sort_values(order, kind="mergesort").reset_index(drop=True)
        return self._cache[name]

    def _edges_by_type(self) -> dict[str, EdgeGroup]:
        """Every edge, grouped by type, in the graph's edge order: one pass over the graph for
        all edge tables and counts (instead of one pass per table); nodes alike, by kind."""
        if self._edges is None:
            self._edges = edges_by_type(self._graph())
        return self._edges

    def _nodes_by_kind(self) -> dict[str, list[dict[str, Any]]]:
        if self._nodes is None:
            self._nodes = nodes_by_kind(self._graph())
        return self._nodes

    def _select(self, name: str, df: pd.DataFrame, column: str, keys: Sequence[str]) -> pd.DataFrame:
        """The rows of a cached table whose ``column`` is one of ``keys``, in table order: from a
        positional index (key → row positions) built once per table, not a scan per call."""
        keys = list(keys)
        if len(keys) > 64:  # many keys: one vectorised pass beats many dict hits
            return df[df[column].isin(keys)].reset_index(drop=True)
        ikey = f"index:{name}:{column}"
        index: dict[str, np.ndarray[Any, np.dtype[np.intp]]] | None = unpacked(self._derived, ikey)
        if index is None:
            index = {
                str(k): np.asarray(v, dtype=np.intp)
                for k, v in df.groupby(column, sort=False).indices.items()
            }
            self._derived[ikey] = index
        parts = [index[k] for k in dict.fromkeys(keys) if k in index]
        if not parts:
            return df.iloc[0:0].reset_index(drop=True)
        pos = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
        return df.iloc[pos].reset_index(drop=True)

    def _edge_table(
        self, name: str, kind: EdgeKind, columns: list[str], row: Any, order: list[str]
    ) -> pd.DataFrame:
        if name not in self._cache:
            rows = edge_rows(self._edges_by_type().get(kind.value, []), row)
            self._cache[name] = sorted_frame(rows, columns, order)
        return self._cache[name]
