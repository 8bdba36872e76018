"""The embedded store's files: the graph snapshot and the warm cache beside it.

Holds what :class:`lernnetz.graph.store.nx_store.NetworkXStore` keeps on disk: building the
NetworkX graph from canonical rows (:func:`graph_from_tables`), writing the snapshot
(``graph.pickle``) atomically and reading it back with the identity (size, mtime, inode) of the
very file read, and writing and reading the warm cache (``graph.pickle.warm``: the tables and the
indexes derived from them), which counts only for the snapshot file whose identity it names. It
knows nothing of the store object, which passes in what is to be written.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lernnetz.graph.errors import InvalidArgument, StoreUnavailable
from lernnetz.graph.model import GraphTables, edge_key, node_id
from lernnetz.loaders.textio import atomic_writer, remove_stale_temp_files

if TYPE_CHECKING:  # networkx is imported where a graph is built: reading the warm cache never needs it
    import networkx as nx

#: A file's identity: (size, mtime in ns, inode).
Identity = tuple[int, int, int]

SNAPSHOT_NAME = "graph.pickle"
SNAPSHOT_VERSION = 1
#: The warm cache beside the snapshot (``graph.pickle.warm``): the tables and the indexes derived
#: from them (analytics context, region names …), valid only for the snapshot file it names.
WARM_SUFFIX = ".warm"
WARM_VERSION = 3  # 2: derived entries packed (see Packed); 3: the context keeps its evidence as columns
#: Tables the warm cache holds, so a process that finds it never needs the graph itself for them.
_WARM_TABLES = (
    "municipalities", "districts", "states", "projects", "topics", "events", "territories",
    "members", "project_topics", "event_topics", "event_hosts", "interests", "attendances",
    "relations", "level_interests", "level_attendances",
)  # fmt: skip


def graph_from_tables(tables: GraphTables) -> nx.MultiDiGraph[str]:
    """The NetworkX graph for a set of canonical rows; unknown edge endpoints are errors."""
    import networkx as nx

    G: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    G.add_nodes_from((node_id(n.kind, n.key), {"kind": n.kind.value, **n.props}) for n in tables.nodes)
    for e in tables.edges:
        u, v = node_id(e.src_kind, e.src), node_id(e.dst_kind, e.dst)
        for end in (u, v):
            if end not in G:
                raise InvalidArgument(f"{e.kind.value} edge refers to an unknown node {end!r}")
        G.add_edge(u, v, key=edge_key(e.kind, e.props), type=e.kind.value, **e.props)
    return G


def _warm_path(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name + WARM_SUFFIX)


def _identity(path: Path) -> Identity | None:
    """Which snapshot file this is: (size, mtime in ns, inode); ``None`` when it is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


#: A snapshot temp file untouched for this long (seconds) was left by a killed writer.
STALE_TEMP_S = 600.0


def _write_atomically(path: Path, payload: dict[str, Any]) -> None:
    # a writer killed mid-write leaves its temp file (7 MB for the whole register): swept here
    remove_stale_temp_files(path.parent, older_than_s=STALE_TEMP_S)
    with atomic_writer(path, binary=True) as fh:
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)


def write_snapshot(path: Path, graph: nx.MultiDiGraph[str], meta: dict[str, Any]) -> Identity | None:
    """Write the snapshot atomically; returns the identity of the file written."""
    _write_atomically(path, {"version": SNAPSHOT_VERSION, "graph": graph, "meta": meta})
    return _identity(path)


def read_snapshot(path: Path) -> tuple[dict[str, Any], Identity]:
    """The snapshot's content and the identity of the very file it was read from."""
    try:
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            payload = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
        raise StoreUnavailable(
            f"cannot read the snapshot {path}: {exc}", hint="run `lernnetz load` to rebuild it"
        ) from exc
    if not isinstance(payload, dict) or payload.get("version") != SNAPSHOT_VERSION:
        raise StoreUnavailable(
            f"the snapshot {path} has an old format", hint="run `lernnetz load` to rebuild it"
        )
    return payload, (st.st_size, st.st_mtime_ns, st.st_ino)


class Packed:
    """A derived entry of the warm cache, kept pickled until a caller first asks for it: a command
    that needs no analytics context (``lernnetz municipality``) never unpickles the context."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self) -> tuple[type[Packed], tuple[bytes]]:
        return (Packed, (self.data,))

    def unpack(self) -> Any:
        return pickle.loads(self.data)


def unpacked(entries: dict[str, Any], key: str) -> Any:
    """``entries[key]`` (``None`` if missing), unpickled in place on first use."""
    hit = entries.get(key)
    if isinstance(hit, Packed):
        hit = entries[key] = hit.unpack()
    return hit


def write_warm(
    snapshot: Path, identity: Identity, meta: dict[str, Any], cache: dict[str, Any], derived: dict[str, Any]
) -> bool:
    """Write the warm cache of the snapshot with this identity (atomically); returns whether it
    could (it is only a cache: on failure the next process rebuilds)."""
    payload = {
        "version": WARM_VERSION,
        "identity": identity,
        "meta": meta,
        "cache": cache,
        "derived": {
            k: v if isinstance(v, Packed) else Packed(pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL))
            for k, v in derived.items()
        },
    }
    try:
        with atomic_writer(_warm_path(snapshot), binary=True) as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def read_warm(snapshot: Path) -> tuple[dict[str, Any], Identity] | None:
    """The warm cache's content and the snapshot's identity, or ``None`` when there is none that
    belongs to this very snapshot file (missing, damaged, outdated or of another snapshot)."""
    path = _warm_path(snapshot)
    identity = _identity(snapshot)
    if identity is None or not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            payload = pickle.load(fh)
        ok = (
            isinstance(payload, dict)
            and payload.get("version") == WARM_VERSION
            and tuple(payload.get("identity", ())) == identity
            and all(name in payload["cache"] for name in _WARM_TABLES)
        )
    except Exception:  # a damaged or outdated cache is only a cache: read the snapshot
        return None
    if not ok:
        return None
    return payload, identity
