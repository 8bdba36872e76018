"""The lernnetz graph model: node kinds, edge kinds, and the canonical tables.

Both stores (NetworkX, Neo4j) ingest the same :class:`GraphTables`, built once from
loader records by :func:`lernnetz.graph.tables.build_tables`, so they hold the same graph. Every node and edge carries its
provenance: ``source`` (file or URL) and ``ref_date`` (Stichtag or event date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lernnetz.loaders.records import (
    ParticipationRecord,
    Programme,
    Register,
    RelationRecord,
)


class NodeKind(StrEnum):
    """Node labels. Their values are also the Neo4j labels (an allow-list)."""

    STATE = "State"
    DISTRICT = "District"
    MUNICIPALITY = "Municipality"
    PROJECT = "Project"
    TOPIC = "Topic"
    EVENT = "Event"
    #: Another programme (Smarte.Land.Regionen, an open-source community …): ``data/programmes.csv``.
    PROGRAMME = "Programme"
    #: A Gemeindeverband (Amt, Verbandsgemeinde …), created only where evidence names one
    #: (other-programme participation, a participation list, a tie).
    ASSOCIATION = "Association"


class EdgeKind(StrEnum):
    """Edge types. Their values are also the Neo4j relationship types (an allow-list)."""

    IN_DISTRICT = "IN_DISTRICT"
    IN_STATE = "IN_STATE"
    MEMBER_OF = "MEMBER_OF"
    ADDRESSES = "ADDRESSES"
    INTERESTED_IN = "INTERESTED_IN"
    HOSTED = "HOSTED"
    ATTENDED = "ATTENDED"
    FOCUSES_ON = "FOCUSES_ON"
    NEIGHBOUR_OF = "NEIGHBOUR_OF"
    ROLE_MODEL_FOR = "ROLE_MODEL_FOR"
    EXCHANGES_WITH = "EXCHANGES_WITH"
    CO_DEVELOPS_WITH = "CO_DEVELOPS_WITH"
    TRANSFERS_TO = "TRANSFERS_TO"
    #: A Municipality, Association or District takes part in another Programme.
    PARTICIPATES_IN = "PARTICIPATES_IN"


#: The KTS tie types (the Netzwerk-Dashboard's edge types).
TIE_KINDS = (
    EdgeKind.ROLE_MODEL_FOR,
    EdgeKind.EXCHANGES_WITH,
    EdgeKind.CO_DEVELOPS_WITH,
    EdgeKind.TRANSFERS_TO,
)

#: The key property of each node kind.
KEY_PROPERTY: dict[NodeKind, str] = {
    NodeKind.STATE: "code",
    NodeKind.DISTRICT: "key",
    NodeKind.MUNICIPALITY: "ags",
    NodeKind.PROJECT: "id",
    NodeKind.TOPIC: "slug",
    NodeKind.EVENT: "id",
    NodeKind.PROGRAMME: "id",
    NodeKind.ASSOCIATION: "key",
}

#: Edge properties that, with the endpoints, identify an edge (for idempotent merges).
EDGE_IDENTITY: dict[EdgeKind, tuple[str, ...]] = {
    EdgeKind.INTERESTED_IN: ("kind", "date", "source", "event_id"),
    EdgeKind.ATTENDED: ("kind", "date", "source"),
    EdgeKind.PARTICIPATES_IN: ("role", "year"),
}

#: The node kind of a participation ``level``.
LEVEL_KIND: dict[str, NodeKind] = {
    "gemeinde": NodeKind.MUNICIPALITY,
    "verband": NodeKind.ASSOCIATION,
    "kreis": NodeKind.DISTRICT,
}


def node_id(kind: NodeKind | str, key: str) -> str:
    """The NetworkX node id of a node: ``"Municipality:08421000"``."""
    return f"{kind}:{key}"


_NODE_KINDS = {k.value: k for k in NodeKind}


def split_node_id(nid: str) -> tuple[NodeKind, str]:
    """Inverse of :func:`node_id`."""
    kind, _, key = nid.partition(":")
    return _NODE_KINDS.get(kind) or NodeKind(kind), key  # a dict hit (the Enum call is slow); unknown raises


def edge_key(kind: EdgeKind | str, props: dict[str, Any]) -> str:
    """The identity of an edge between two given nodes."""
    fields = EDGE_IDENTITY.get(EdgeKind(kind), ())
    if not fields:
        return str(kind)
    return "|".join([str(kind), *(str(props.get(f) or "") for f in fields)])


@dataclass(slots=True)
class NodeRow:
    """One node: kind, key and properties (the key property included)."""

    kind: NodeKind
    key: str
    props: dict[str, Any]


@dataclass(slots=True)
class EdgeRow:
    """One directed edge with properties."""

    kind: EdgeKind
    src_kind: NodeKind
    src: str
    dst_kind: NodeKind
    dst: str
    props: dict[str, Any]


@dataclass(slots=True)
class GraphData:
    """Everything a store is loaded from: loader records, nothing else."""

    register: Register
    programme: Programme | None = None
    participation: list[ParticipationRecord] = field(default_factory=list)
    #: Gemeinde pairs sharing a border, from BKG boundaries: ``(ags_a, ags_b, shared_border_km)``.
    neighbours: list[tuple[str, str, float]] = field(default_factory=list)
    #: Provenance of the neighbours: source file/URL and Stichtag.
    neighbours_source: tuple[str, str] = ("", "")
    #: Input rows kept out of the graph, in words for the user (``lernnetz load`` prints them).
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class GraphTables:
    """The graph as node and edge rows, plus load metadata."""

    nodes: list[NodeRow]
    edges: list[EdgeRow]
    meta: dict[str, Any]

    def nodes_of(self, kind: NodeKind) -> list[NodeRow]:
        """The nodes of one kind."""
        return [n for n in self.nodes if n.kind == kind]

    def edges_of(self, kind: EdgeKind) -> list[EdgeRow]:
        """The edges of one kind."""
        return [e for e in self.edges if e.kind == kind]


#: The node kind of a tie end's ``from_kind``/``to_kind`` (:class:`RelationRecord`).
TIE_END_KIND: dict[str, NodeKind] = {
    "project": NodeKind.PROJECT,
    "municipality": NodeKind.MUNICIPALITY,
    "district": NodeKind.DISTRICT,
    "association": NodeKind.ASSOCIATION,
}
#: The ``from_kind``/``to_kind`` word of a node kind (the inverse of :data:`TIE_END_KIND`).
TIE_END_NAME: dict[NodeKind, str] = {v: k for k, v in TIE_END_KIND.items()}


def _tie_kind(kind: str) -> NodeKind:
    return TIE_END_KIND.get(kind, NodeKind.MUNICIPALITY)


def tie_edges(relations: Sequence[RelationRecord]) -> list[EdgeRow]:
    """The typed KTS ties (curated or imported) as edges; ``ref_date`` is the tie's date."""
    return [
        EdgeRow(
            EdgeKind(r.type),
            _tie_kind(r.from_kind),
            r.from_key,
            _tie_kind(r.to_kind),
            r.to_key,
            {"source": r.source, "confidence": r.confidence, "note": r.note, "ref_date": r.date},
        )
        for r in relations
    ]


def participation_edges(records: list[ParticipationRecord]) -> list[EdgeRow]:
    """INTERESTED_IN and ATTENDED edges for resolved participation rows, each from the node of
    the row's ``level`` (Municipality, District or Association)."""
    edges: list[EdgeRow] = []
    for p in records:
        src = LEVEL_KIND[p.level]
        props = {
            "kind": p.kind,
            "date": p.date,
            "source": p.source,
            "weight": p.weight,
            "event_id": p.event_id or "",
            "ref_date": p.date,
        }
        if p.topic:
            edges.append(
                EdgeRow(
                    EdgeKind.INTERESTED_IN,
                    src,
                    p.ags,
                    NodeKind.TOPIC,
                    p.topic,
                    props,
                )
            )
        if p.event_id:
            edges.append(
                EdgeRow(
                    EdgeKind.ATTENDED,
                    src,
                    p.ags,
                    NodeKind.EVENT,
                    p.event_id,
                    {k: v for k, v in props.items() if k not in {"event_id", "weight"}},
                )
            )
    return edges
