"""The Neo4j store: the same graph and the same answers as :class:`lernnetz.graph.store.nx_store.NetworkXStore`.

* **Driver.** One ``neo4j.Driver`` per process, created by :meth:`Neo4jStore.from_settings`
  (the one place :func:`lernnetz.graph.store.open_store` calls) and passed in. Writes run through
  ``driver.execute_query(..., routing_=WRITE)``, reads as one auto-commit query (one round trip,
  :mod:`lernnetz.graph.store.neo4j_session`); all Cypher lives in :mod:`lernnetz.graph.store.cypher`.
* **Same tables.** Every table method returns the columns, the sort order and (for the
  pandas inference both stores share) the dtypes of the NetworkX store. Sorting is done
  in Cypher (``ORDER BY``); distances are computed in Cypher with the same haversine
  operations and the same mean Earth radius (6371.0088 km) as :mod:`lernnetz.graph.geo`.
* **Generations (atomic replace)**, written by
  :class:`lernnetz.graph.store.neo4j_write.Neo4jWriter`. Every node carries ``gen``. A load reserves a new
  generation number on the pointer node ``(:LernnetzGraph {id: "lernnetz"})``, writes
  the whole graph as that generation in batches (``UNWIND $rows`` + ``MERGE``, one
  transaction per batch of 5,000), waits for the indexes (``db.awaitIndexes``), checks
  the node and relationship counts, and only then switches ``pointer.gen`` in one small
  transaction. Every read finds the active generation from the pointer in the same
  statement and filters every match on it, so until the switch readers see the previous
  generation, complete; a load that fails half-way (bad row, server gone, an exception
  from the progress hook) leaves the previous data answering exactly as before, and its
  partial generation is deleted (or, if the server is gone, at the start of the next load).
  After the switch the old generation is deleted in batches. A load killed half-way
  (``kill -9``) leaves its generation behind: every load registers itself with a heartbeat
  and, at its start, deletes the generations that are neither active nor held by a live
  load (:mod:`lernnetz.graph.store.neo4j_loads`). Uniqueness constraints are
  therefore per generation: ``(ags, gen)``, ``(key, gen)``, ``(code, gen)``, ``(id, gen)``,
  ``(slug, gen)``; their indexes serve every key lookup, and a point index on
  ``Municipality.location`` serves ``near``. Loading the same data twice yields the same
  graph (a new generation with identical content; ``MERGE`` makes repeated rows one node
  or relationship). Known limit: a reader whose statement started just before a switch
  may see the old generation being deleted under it.
* **Round trips.** Table queries return their rows packed into one record and read the
  pointer themselves (see :mod:`lernnetz.graph.store.cypher`, "reads"): one round trip per call.
  Unfiltered tables and the counts of :meth:`info` are cached per (generation, revision);
  serving them costs one pointer read, so a cached table is never served while the
  server is down and never outlives a load or an import by any process
  (``add_participation`` bumps the revision in the same transaction as its writes).
* **Faults.** ``ServiceUnavailable``, ``SessionExpired``, pool time-outs, an unknown
  database and refused credentials become :class:`lernnetz.graph.errors.StoreUnavailable`
  (HTTP 503). The driver retries a failing transaction for up to 5 s (a read is first
  one auto-commit query; if that fails retryably, it is run again that way), then the
  call fails; until a call succeeds again, later calls first try one connection without
  retries, so an outage answers in milliseconds. The driver reconnects by itself once
  the server is back; no failure is remembered beyond that one check.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, LiteralString, TypeVar, cast

import pandas as pd
from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
)

from lernnetz.graph.errors import InvalidArgument, NoGraph, StoreUnavailable
from lernnetz.graph.model import (
    EDGE_IDENTITY,
    EdgeKind,
    EdgeRow,
    NodeKind,
    participation_edges,
    split_node_id,
    tie_edges,
)
from lernnetz.graph.store import cypher as cy
from lernnetz.graph.store import neo4j_session
from lernnetz.graph.store import protocol as S
from lernnetz.graph.store.neo4j_levels import Neo4jLevels, merge_associations
from lernnetz.graph.store.neo4j_write import Neo4jWriter, group_edges
from lernnetz.loaders.records import ParticipationRecord, RelationRecord

if TYPE_CHECKING:
    from lernnetz.graph.settings import Settings

# The driver logs every retry ("Transaction failed and will be retried …") at WARNING; with
# no logging configured Python would print them on stderr. The failure itself reaches the
# user as StoreUnavailable; applications that configure logging still see the records.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

BATCH_SIZE = 5000
#: Driver settings that make a dead server fail a request within seconds, not minutes.
CONNECTION_TIMEOUT_S = 5.0
MAX_TRANSACTION_RETRY_TIME_S = 5.0
CONNECTION_ACQUISITION_TIMEOUT_S = 10.0

_T = TypeVar("_T")


def _inferred_str_dtype() -> Any:
    """The dtype pandas infers for a column of strings (``str`` in pandas 3, ``object`` before)."""
    return pd.Series(["x"]).dtype


_STR = _inferred_str_dtype()
#: dtypes of the tables that can be filtered: a filtered NetworkX table keeps the dtypes of
#: its full table, so a filtered Neo4j result (possibly empty) is cast to the same ones.
_MUNICIPALITY_DTYPES: dict[str, Any] = {
    **dict.fromkeys(S.MUNICIPALITY_COLUMNS, _STR),
    "population": "int64",
    "population_male": "int64",
    "population_female": "int64",
    "area_km2": "float64",
    "lat": "float64",
    "lon": "float64",
    "unincorporated": "bool",
    "funded": "bool",
}
_TERRITORY_DTYPES: dict[str, Any] = dict.fromkeys(S.TERRITORY_COLUMNS, _STR)
_MEMBER_DTYPES: dict[str, Any] = dict.fromkeys(S.MEMBER_COLUMNS, _STR)
_INTEREST_DTYPES: dict[str, Any] = {**dict.fromkeys(S.INTEREST_COLUMNS, _STR), "weight": "float64"}
_ATTENDANCE_DTYPES: dict[str, Any] = dict.fromkeys(S.ATTENDANCE_COLUMNS, _STR)


def _typed(df: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """Cast only the columns whose inferred dtype differs (casting is slow; usually none)."""
    todo = {c: t for c, t in dtypes.items() if df[c].dtype != t}
    return df.astype(todo) if todo else df


def _q(text: str) -> LiteralString:
    """Mark a statement from :mod:`lernnetz.graph.store.cypher` as a query (its text holds no values;
    mypy treats ``LiteralString`` as ``str``, so this is a documented no-op)."""
    return text


class Neo4jStore(Neo4jLevels, Neo4jWriter):
    """The Neo4j store (see module docstring)."""

    backend = "neo4j"

    def __init__(
        self,
        driver: Driver,
        database: str = "neo4j",
        *,
        uri: str = "",
        owns_driver: bool = False,
        batch_size: int = BATCH_SIZE,
        graph_id: str = cy.GRAPH_ID,
    ) -> None:
        self.driver = driver
        self.database = database
        self.uri = uri or "the configured server"
        self.batch_size = batch_size
        self.graph_id = graph_id
        self._owns_driver = owns_driver
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}
        self._cache_state: tuple[int, int] | None = None
        self._schema_ready = False
        #: Set when a call found the server unreachable: the next call first checks the
        #: connection without retries, so an outage answers in milliseconds, not seconds.
        self._down = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jStore:
        """Create the driver once from ``NEO4J_URI/USER/PASSWORD/DATABASE`` (no connection yet)."""
        password = settings.neo4j_password.get_secret_value()
        auth = (settings.neo4j_user, password) if password else None
        driver = GraphDatabase.driver(
            settings.neo4j_uri,
            auth=auth,
            connection_timeout=CONNECTION_TIMEOUT_S,
            max_transaction_retry_time=MAX_TRANSACTION_RETRY_TIME_S,
            connection_acquisition_timeout=CONNECTION_ACQUISITION_TIMEOUT_S,
            user_agent="lernnetz",
            notifications_min_severity="OFF",
        )
        return cls(driver, settings.neo4j_database, uri=settings.neo4j_uri, owns_driver=True)

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn connectivity and configuration failures into :class:`StoreUnavailable`."""
        hint = "start Neo4j (e.g. `docker compose up -d neo4j`) or check NEO4J_URI"
        try:
            yield
        except (ServiceUnavailable, SessionExpired, ConnectionAcquisitionTimeoutError) as exc:
            self._down = True
            reason = " ".join(str(exc).split())
            raise StoreUnavailable(
                f"Neo4j at {self.uri} is not reachable ({type(exc).__name__}: {reason})", hint=hint
            ) from exc
        except DatabaseUnavailable as exc:
            raise StoreUnavailable(
                f"Neo4j database {self.database!r} is unavailable: {exc.message}", hint=hint
            ) from exc
        except AuthError as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.uri} refused the credentials", hint="check NEO4J_USER and NEO4J_PASSWORD"
            ) from exc
        except ClientError as exc:
            if exc.code == "Neo.ClientError.Database.DatabaseNotFound":
                raise StoreUnavailable(
                    f"Neo4j at {self.uri} has no database {self.database!r}", hint="check NEO4J_DATABASE"
                ) from exc
            raise

    def _recheck(self) -> None:
        """After an outage: one connection attempt without retries before the real call."""
        if self._down:
            with self._errors():
                self.driver.verify_connectivity()
            self._down = False

    def _run(self, query: str, *, write: bool = False, **params: Any) -> list[list[Any]]:
        """A read in one round trip, a write in a managed transaction (:func:`neo4j_session.run`)."""
        self._recheck()
        with self._errors():
            return neo4j_session.run(self.driver, self.database, _q(query), params, write=write)

    def _no_graph(self) -> NoGraph:
        return NoGraph(
            f"no graph is loaded into Neo4j at {self.uri} yet",
            hint="run `lernnetz load --backend neo4j` first",
        )

    def _state(self) -> tuple[int, int, dict[str, Any]]:
        """The active (generation, revision, metadata); :class:`NoGraph` if none is loaded."""
        rows = self._run(cy.READ_STATE, graph_id=self.graph_id)
        if not rows or rows[0][0] is None:
            raise self._no_graph()
        gen, rev, meta = rows[0]
        return int(gen), int(rev or 0), json.loads(meta) if meta else {}

    def _read(self, query: str, **params: Any) -> tuple[tuple[int, int], list[Any]]:
        """Run a :func:`lernnetz.graph.store.cypher.read` query: ((generation, revision), rows) in one round trip."""
        (gen, rev, rows), *_ = self._run(query, graph_id=self.graph_id, **params)
        if gen is None:
            raise self._no_graph()
        return (int(gen), int(rev or 0)), rows

    def _frame(self, query: str, columns: list[str], **params: Any) -> pd.DataFrame:
        return pd.DataFrame(self._read(query, **params)[1], columns=columns)

    def _memo(self, state: tuple[int, int], name: str, build: Callable[[], _T]) -> _T:
        """``build()``, remembered for this (generation, revision)."""
        with self._lock:
            if self._cache_state != state:
                self._cache, self._cache_state = {}, state
            if name in self._cache:
                return cast(_T, self._cache[name])
        value = build()
        with self._lock:
            if self._cache_state == state:
                self._cache[name] = value
        return value

    def _cached(self, name: str, query: str, columns: list[str]) -> pd.DataFrame:
        """A full table: served from memory while the pointer shows the same (generation,
        revision) — one round trip to check — else fetched (one round trip) and kept."""
        gen, rev, _ = self._state()
        with self._lock:
            if self._cache_state == (gen, rev) and name in self._cache:
                return cast(pd.DataFrame, self._cache[name])
        state, rows = self._read(query)
        df = pd.DataFrame(rows, columns=columns)
        return self._memo(state, name, lambda: df)

    def _node_table(self, name: str, kind: NodeKind, columns: list[str], order: list[str]) -> pd.DataFrame:
        return self._cached(name, cy.node_table(kind, columns, order, by_key=False), columns)

    def _edge_table(self, name: str, query: str, columns: list[str]) -> pd.DataFrame:
        return self._cached(name, query, columns)

    # ------------------------------------------------------------------ lifecycle

    def add_participation(self, records: Sequence[ParticipationRecord]) -> int:
        """Merge INTERESTED_IN / ATTENDED edges in one transaction; returns how many are new.

        An edge is identified by its endpoints and :data:`lernnetz.graph.model.EDGE_IDENTITY`; an
        existing edge is left as it is (as in the NetworkX store). An unknown municipality,
        topic or event raises :class:`InvalidArgument` and nothing is written.
        """
        return self._add_edges(participation_edges(list(records)), "participation")

    def add_ties(self, records: Sequence[RelationRecord]) -> int:
        """Merge typed KTS ties in one transaction (one per type and pair of nodes, an existing
        one left as it is); returns how many are new. Unknown endpoints: nothing is written."""
        return self._add_edges(tie_edges(list(records)), "a tie")

    def _add_edges(self, rows: list[EdgeRow], what: str) -> int:
        if not rows:
            self._state()
            return 0
        groups = group_edges(rows)
        associations = self._association_payloads(rows)  # a Verband named for the first time: its node

        def work(tx: ManagedTransaction) -> int:
            state = tx.run(_q(cy.READ_STATE), graph_id=self.graph_id).values()
            if not state or state[0][0] is None:
                raise NoGraph("no graph is loaded into Neo4j yet", hint="run `lernnetz load --backend neo4j`")
            gen = int(state[0][0])
            merge_associations(tx, associations, gen)
            keys: dict[NodeKind, set[str]] = defaultdict(set)
            for r in rows:
                keys[r.src_kind].add(r.src)
                keys[r.dst_kind].add(r.dst)
            missing = {
                kind: {row[0] for row in tx.run(_q(cy.missing_keys(kind)), keys=sorted(ks), gen=gen).values()}
                for kind, ks in keys.items()
            }
            for r in rows:
                for kind, key in ((r.src_kind, r.src), (r.dst_kind, r.dst)):
                    if key in missing[kind]:
                        raise InvalidArgument(f"{what} refers to an unknown {kind} {key!r}")
            created = 0
            for (edge_kind, src, dst), batch in groups.items():
                query = cy.merge_edges(
                    edge_kind, src, dst, EDGE_IDENTITY.get(edge_kind, ()), on_create_only=True
                )
                summary = tx.run(_q(query), rows=batch, gen=gen).consume()
                created += summary.counters.relationships_created
            if created:
                tx.run(_q(cy.BUMP_REVISION), graph_id=self.graph_id).consume()
            return created

        self._recheck()
        bookmarks = self.driver.execute_query_bookmark_manager  # later reads see this write
        with (
            self._errors(),
            self.driver.session(database=self.database, bookmark_manager=bookmarks) as session,
        ):
            return session.execute_write(work)

    def info(self) -> dict[str, Any]:
        """Backend, load metadata and counts per node and edge kind (keys as NetworkXStore).

        The counts are counted in the database once per (generation, revision), so
        ``info()`` costs one round trip when nothing changed.
        """
        gen, rev, meta = self._state()
        nodes, edges = self._memo((gen, rev), "counts", lambda: self._counts(gen))
        return {"backend": self.backend, **meta, "nodes": dict(nodes), "edges": dict(edges)}

    def _counts(self, gen: int) -> tuple[dict[str, int], dict[str, int]]:
        nodes: dict[str, int] = {k.value: 0 for k in NodeKind}
        for kind, n in self._run(cy.count_nodes(), gen=gen):
            nodes[kind] = int(n)
        edges: dict[str, int] = {k.value: 0 for k in EdgeKind}
        for kind, n in self._run(cy.COUNT_EDGES, gen=gen):
            edges[kind] = int(n)
        return nodes, edges

    def derived(self, name: str, build: Callable[[], _T]) -> _T:
        """``build()`` (an index over the tables), kept for the active (generation, revision):
        one round trip to check the pointer, then dict hits instead of queries per lookup."""
        gen, rev, _ = self._state()
        return self._memo((gen, rev), "derived:" + name, build)

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` if Neo4j cannot answer, :class:`NoGraph` if it holds no graph."""
        self._state()

    def close(self) -> None:
        """Close the driver if this store created it."""
        if self._owns_driver:
            self.driver.close()

    def stale(self) -> bool:
        """Never: every query reads the server's active generation."""
        return False

    def refresh(self) -> bool:
        """Nothing to catch up with (see :meth:`stale`)."""
        return False

    # ------------------------------------------------------------------ node tables

    def municipalities(self, ags: Sequence[str] | None = None) -> pd.DataFrame:
        cols = S.MUNICIPALITY_COLUMNS
        if ags is None:
            return self._node_table("municipalities", NodeKind.MUNICIPALITY, cols, ["ags"])
        query = cy.node_table(NodeKind.MUNICIPALITY, cols, ["ags"], by_key=True)
        return _typed(self._frame(query, cols, keys=list(ags)), _MUNICIPALITY_DTYPES)

    def districts(self) -> pd.DataFrame:
        return self._node_table("districts", NodeKind.DISTRICT, S.DISTRICT_COLUMNS, ["key"])

    def states(self) -> pd.DataFrame:
        return self._node_table("states", NodeKind.STATE, S.STATE_COLUMNS, ["code"])

    def projects(self) -> pd.DataFrame:
        return self._node_table("projects", NodeKind.PROJECT, S.PROJECT_COLUMNS, ["id"])

    def topics(self) -> pd.DataFrame:
        return self._node_table("topics", NodeKind.TOPIC, S.TOPIC_COLUMNS, ["slug"])

    def events(self) -> pd.DataFrame:
        return self._node_table("events", NodeKind.EVENT, S.EVENT_COLUMNS, ["date_start", "id"])

    # ------------------------------------------------------------------ edge tables

    def territories(self, project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        cols = S.TERRITORY_COLUMNS
        if project_ids is None:
            return self._edge_table("territories", cy.territories(by_project=False), cols)
        df = self._frame(cy.territories(by_project=True), cols, project_ids=list(project_ids))
        return _typed(df, _TERRITORY_DTYPES)

    def members(self, project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        cols = S.MEMBER_COLUMNS
        if project_ids is None:
            return self._edge_table("members", cy.members(by_project=False), cols)
        df = self._frame(cy.members(by_project=True), cols, project_ids=list(project_ids))
        return _typed(df, _MEMBER_DTYPES)

    def project_topics(self) -> pd.DataFrame:
        return self._edge_table("project_topics", cy.PROJECT_TOPICS, S.PROJECT_TOPIC_COLUMNS)

    def event_topics(self) -> pd.DataFrame:
        return self._edge_table("event_topics", cy.EVENT_TOPICS, S.EVENT_TOPIC_COLUMNS)

    def event_hosts(self) -> pd.DataFrame:
        return self._edge_table("event_hosts", cy.EVENT_HOSTS, S.EVENT_HOST_COLUMNS)

    def interests(
        self, ags: Sequence[str] | None = None, topics: Sequence[str] | None = None
    ) -> pd.DataFrame:
        cols = S.INTEREST_COLUMNS
        if ags is None and topics is None:
            return self._edge_table("interests", cy.interests(by_ags=False, by_topic=False), cols)
        query = cy.interests(by_ags=ags is not None, by_topic=topics is not None)
        params: dict[str, Any] = {}
        if ags is not None:
            params["ags"] = list(ags)
        if topics is not None:
            params["topics"] = list(topics)
        return _typed(self._frame(query, cols, **params), _INTEREST_DTYPES)

    def attendances(self, ags: Sequence[str] | None = None) -> pd.DataFrame:
        cols = S.ATTENDANCE_COLUMNS
        if ags is None:
            return self._edge_table("attendances", cy.attendances(by_ags=False), cols)
        df = self._frame(cy.attendances(by_ags=True), cols, ags=list(ags))
        return _typed(df, _ATTENDANCE_DTYPES)

    def programmes(self) -> pd.DataFrame:
        return self._node_table("programmes", NodeKind.PROGRAMME, S.PROGRAMME_COLUMNS, ["id"])

    def programme_participation(self) -> pd.DataFrame:
        return self._edge_table(
            "programme_participation", cy.PROGRAMME_PARTICIPATION, S.PROGRAMME_PARTICIPATION_COLUMNS
        )

    # ------------------------------------------------------------------ spatial, paths

    def near(self, centres: Sequence[str], radius_km: float) -> pd.DataFrame:
        """Pushed down: point-index prefilter, exact haversine in Cypher (see :data:`lernnetz.graph.store.cypher.NEAR`)."""
        _, rows = self._read(cy.NEAR, **cy.near_params(list(dict.fromkeys(centres)), radius_km))
        return pd.DataFrame(
            {
                "ags": pd.Series([r[0] for r in rows], dtype=object),
                "distance_km": pd.Series([r[1] for r in rows], dtype="float64"),
            }
        )

    def shortest_paths(
        self, source: str, target: str, *, max_hops: int = 6, limit: int = 5
    ) -> list[list[str]]:
        """Pushed down: ``allShortestPaths`` over the non-structural relationship types."""
        try:
            src_kind, src = split_node_id(source)
            dst_kind, dst = split_node_id(target)
        except ValueError:
            self.ping()  # NoGraph / StoreUnavailable as for any other call
            return []  # not a node id of an allowed kind: no such node
        if limit <= 0:
            self.ping()
            return []
        if source == target:
            query = cy.node_table(src_kind, ["nid"], ["nid"], by_key=True)
            return [[source]] if self._read(query, keys=[src])[1] else []
        if max_hops < 1:
            self.ping()
            return []
        query = cy.shortest_paths(src_kind, dst_kind, min(int(max_hops), cy.MAX_HOPS_LIMIT))
        _, paths = self._read(query, src=src, dst=dst, limit=int(limit))
        return [list(p) for p in paths]
