"""The lernnetz graph model: node kinds, edge kinds, and the canonical tables.

Both stores (NetworkX, Neo4j) ingest the same :class:`GraphTables`, built here once
from loader records, so they hold the same graph. Every node and edge carries its
provenance: ``source`` (file or URL) and ``ref_date`` (Stichtag or event date).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lernnetz.loaders.records import (
    LAENDER,
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
    #: A Gemeindeverband (Amt, Verbandsgemeinde …), created only where evidence names one.
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


def split_node_id(nid: str) -> tuple[NodeKind, str]:
    """Inverse of :func:`node_id`."""
    kind, _, key = nid.partition(":")
    return NodeKind(kind), key


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


@dataclass(slots=True)
class _Index:
    by_association: dict[str, list[str]]
    by_district: dict[str, list[str]]
    association_names: dict[str, str]
    district_names: dict[str, str]


def _index(register: Register) -> _Index:
    by_association: dict[str, list[str]] = defaultdict(list)
    by_district: dict[str, list[str]] = defaultdict(list)
    for m in register.municipalities:
        by_association[m.association_key].append(m.ags)
        if m.district_key:
            by_district[m.district_key].append(m.ags)
    return _Index(
        by_association=dict(by_association),
        by_district=dict(by_district),
        association_names={a.key: a.name for a in register.associations},
        district_names={d.key: d.name for d in register.districts},
    )


def territory_members(data: GraphData, idx: _Index | None = None) -> dict[str, dict[str, str]]:
    """Each project's territory as ``{project_id: {ags: via}}``.

    ``via`` says how the Gemeinde came in: ``gemeinde`` (listed itself), the
    Gemeindeverband's name (``verband`` keys), or the Kreis's name (``kreis`` keys).
    Gemeindefreie Gebiete inside a Kreis are part of its territory too.
    """
    if data.programme is None:
        return {}
    idx = idx or _index(data.register)
    out: dict[str, dict[str, str]] = defaultdict(dict)
    # the most specific listing names the way in: the Gemeinde itself, then its Verband, then its Kreis
    specificity = {"gemeinde": 0, "verband": 1, "kreis": 2}
    for mem in sorted(data.programme.members, key=lambda m: specificity.get(m.level, 3)):
        if mem.level == "gemeinde":
            out[mem.project_id].setdefault(mem.key, "gemeinde")
        elif mem.level == "verband":
            for ags in idx.by_association.get(mem.key, []):
                out[mem.project_id].setdefault(ags, idx.association_names.get(mem.key, mem.name))
        elif mem.level == "kreis":
            for ags in idx.by_district.get(mem.key, []):
                out[mem.project_id].setdefault(ags, idx.district_names.get(mem.key, mem.name))
    return dict(out)


def build_tables(data: GraphData) -> GraphTables:
    """Turn loader records into the canonical node and edge rows."""
    reg = data.register
    prov = reg.provenance
    base = {"source": prov.url or prov.source, "ref_date": prov.stichtag}
    nodes: list[NodeRow] = []
    edges: list[EdgeRow] = []

    idx = _index(reg)
    territory = territory_members(data, idx)
    funded: dict[str, list[str]] = defaultdict(list)
    for pid, members in territory.items():
        for ags in members:
            funded[ags].append(pid)

    for s in reg.states:
        nodes.append(
            NodeRow(NodeKind.STATE, s.code, {"code": s.code, "short": s.short, "name": s.name, **base})
        )
    for d in reg.districts:
        nodes.append(
            NodeRow(
                NodeKind.DISTRICT,
                d.key,
                {
                    "key": d.key,
                    "name": d.name,
                    "type": d.type,
                    "type_code": d.type_code,
                    "state_code": d.state_code,
                    **base,
                },
            )
        )
        edges.append(
            EdgeRow(
                EdgeKind.IN_STATE,
                NodeKind.DISTRICT,
                d.key,
                NodeKind.STATE,
                d.state_code,
                dict(base),
            )
        )
    for m in reg.municipalities:
        props: dict[str, Any] = {
            "ags": m.ags,
            "ars": m.ars,
            "name": m.name,
            "type_code": m.type_code,
            "type": m.type,
            "unincorporated": m.is_unincorporated,
            "state_code": m.state_code,
            "district_key": m.district_key or "",
            "association_key": m.association_key,
            "association_name": m.association_name,
            "population": m.population,
            "population_male": m.population_male,
            "population_female": m.population_female,
            "area_km2": m.area_km2,
            "postcode": m.postcode or "",
            "lat": m.lat,
            "lon": m.lon,
            "funded": bool(funded.get(m.ags)),
            **base,
        }
        nodes.append(NodeRow(NodeKind.MUNICIPALITY, m.ags, props))
        if m.district_key:
            edges.append(
                EdgeRow(
                    EdgeKind.IN_DISTRICT,
                    NodeKind.MUNICIPALITY,
                    m.ags,
                    NodeKind.DISTRICT,
                    m.district_key,
                    dict(base),
                )
            )
        if m.state_code in LAENDER:
            edges.append(
                EdgeRow(
                    EdgeKind.IN_STATE,
                    NodeKind.MUNICIPALITY,
                    m.ags,
                    NodeKind.STATE,
                    m.state_code,
                    dict(base),
                )
            )

    prog = data.programme
    if prog is not None:
        src = prog.source
        for p in prog.projects:
            nodes.append(
                NodeRow(
                    NodeKind.PROJECT,
                    p.id,
                    {
                        "id": p.id,
                        "name": p.name,
                        "label": p.label,
                        "round": p.round,
                        "category": p.category,
                        "type": p.type,
                        "states": list(p.states),
                        "lead_key": p.lead_key,
                        "phase": p.phase,
                        "profile_url": p.profile_url,
                        "source": p.source,
                        "confidence": p.confidence,
                        "note": p.note,
                        "ref_date": str(p.round),
                        "territory_size": len(territory.get(p.id, {})),
                        "status": p.status,
                        "end_date": p.end_date,
                        "status_source": p.status_source,
                    },
                )
            )
        for t in prog.topics:
            nodes.append(
                NodeRow(
                    NodeKind.TOPIC,
                    t.slug,
                    {
                        "slug": t.slug,
                        "label_de": t.label_de,
                        "label_en": t.label_en,
                        "family": t.family,
                        "parent": t.parent,
                        "source": t.source,
                        "confidence": t.confidence,
                        "ref_date": "",
                    },
                )
            )
        for e in prog.events:
            nodes.append(
                NodeRow(
                    NodeKind.EVENT,
                    e.id,
                    {
                        "id": e.id,
                        "kind": e.kind,
                        "number": e.number,
                        "date_start": e.date_start,
                        "date_end": e.date_end,
                        "place_key": e.place_key,
                        "format": e.format,
                        "title": e.title,
                        "participants": e.participants,
                        "host_projects": list(e.host_projects),
                        "source": e.source,
                        "confidence": e.confidence,
                        "note": e.note,
                        "ref_date": e.date_start,
                    },
                )
            )
            for pid in e.host_projects:
                edges.append(
                    EdgeRow(
                        EdgeKind.HOSTED,
                        NodeKind.PROJECT,
                        pid,
                        NodeKind.EVENT,
                        e.id,
                        {"source": e.source, "confidence": e.confidence, "ref_date": e.date_start},
                    )
                )
        for mem in prog.members:
            props = {
                "role": mem.role,
                "level": mem.level,
                "source": mem.source,
                "confidence": mem.confidence,
                "note": mem.note,
                "ref_date": prov.stichtag,
                "via": "",
            }
            # a Kreis is a member itself; a Verband stands for its Gemeinden (named in ``via``)
            ends = [(NodeKind.DISTRICT if mem.level == "kreis" else NodeKind.MUNICIPALITY, mem.key)]
            if mem.level == "verband":
                props["via"] = idx.association_names.get(mem.key, mem.name)
                ends = [(NodeKind.MUNICIPALITY, ags) for ags in idx.by_association.get(mem.key, [])]
            for kind, key in ends:
                edges.append(
                    EdgeRow(EdgeKind.MEMBER_OF, kind, key, NodeKind.PROJECT, mem.project_id, dict(props))
                )
        for pt in prog.project_topics:
            edges.append(
                EdgeRow(
                    EdgeKind.ADDRESSES,
                    NodeKind.PROJECT,
                    pt.project_id,
                    NodeKind.TOPIC,
                    pt.topic,
                    {"source": pt.source, "confidence": pt.confidence, "note": pt.note, "ref_date": ""},
                )
            )
        for et in prog.event_topics:
            edges.append(
                EdgeRow(
                    EdgeKind.FOCUSES_ON,
                    NodeKind.EVENT,
                    et.event_id,
                    NodeKind.TOPIC,
                    et.topic,
                    {"source": et.source, "confidence": et.confidence, "ref_date": ""},
                )
            )
        edges.extend(tie_edges(prog.relations))
        _programme_layer(data, idx, nodes, edges)
    else:
        src = ""

    nsrc, ndate = data.neighbours_source
    for a, b, km in data.neighbours:
        edges.append(
            EdgeRow(
                EdgeKind.NEIGHBOUR_OF,
                NodeKind.MUNICIPALITY,
                a,
                NodeKind.MUNICIPALITY,
                b,
                {"shared_border_km": km, "source": nsrc, "ref_date": ndate},
            )
        )
    edges.extend(participation_edges(data.participation))
    meta = {
        "register_source": prov.url or prov.source,
        "register_sha256": prov.sha256,
        "stichtag": prov.stichtag,
        "population_date": reg.population_date,
        "attribution": prov.attribution,
        "programme_source": src,
    }
    return GraphTables(nodes=nodes, edges=edges, meta=meta)


def _programme_layer(data: GraphData, idx: _Index, nodes: list[NodeRow], edges: list[EdgeRow]) -> None:
    """Programme nodes, the Verband nodes the evidence names, and PARTICIPATES_IN edges."""
    prog = data.programme
    assert prog is not None
    for o in prog.other_programmes:
        nodes.append(
            NodeRow(
                NodeKind.PROGRAMME,
                o.id,
                {"id": o.id, "name": o.name, "operator": o.operator, "years": o.years, "kind": o.kind,
                 "topics": list(o.topics), "source": o.source, "confidence": o.confidence, "note": o.note,
                 "ref_date": ""},
            )
        )  # fmt: skip
    associations = {a.key: a for a in data.register.associations}
    named = sorted({r.key for r in prog.programme_participation if r.level == "verband"})
    for key in named:
        a = associations[key]
        nodes.append(
            NodeRow(
                NodeKind.ASSOCIATION,
                key,
                {"key": key, "name": a.name, "district_key": a.district_key, "state_code": key[:2],
                 "members": len(idx.by_association.get(key, [])), "source": data.register.provenance.source,
                 "ref_date": data.register.provenance.stichtag},
            )
        )  # fmt: skip
    for r in prog.programme_participation:
        edges.append(
            EdgeRow(
                EdgeKind.PARTICIPATES_IN,
                LEVEL_KIND[r.level],
                r.key,
                NodeKind.PROGRAMME,
                r.programme_id,
                {"role": r.role, "year": r.year, "level": r.level, "name": r.name, "topics": list(r.topics),
                 "topic_evidence": r.topic_evidence, "source": r.source, "confidence": r.confidence,
                 "note": r.note, "ref_date": r.year},
            )
        )  # fmt: skip


def _tie_kind(kind: str) -> NodeKind:
    return NodeKind.PROJECT if kind == "project" else NodeKind.MUNICIPALITY


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
    """INTERESTED_IN and ATTENDED edges for resolved participation rows."""
    edges: list[EdgeRow] = []
    for p in records:
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
                    NodeKind.MUNICIPALITY,
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
                    NodeKind.MUNICIPALITY,
                    p.ags,
                    NodeKind.EVENT,
                    p.event_id,
                    {k: v for k, v in props.items() if k not in {"event_id", "weight"}},
                )
            )
    return edges
