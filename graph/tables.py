"""The canonical tables of a load: :func:`build_tables` turns loader records into graph rows.

Holds the one builder both stores ingest: from :class:`lernnetz.graph.model.GraphData` (register,
programme data, boundaries, participation, ties) it makes the :class:`~lernnetz.graph.model.GraphTables`
— every node and edge with its provenance — including the project territories
(:func:`territory_members`: Gemeinden listed directly, through their Verband or their Kreis) and
the programme layer (other programmes, PARTICIPATES_IN edges) and the Verbände evidence names
(:mod:`lernnetz.graph.levels`). It imports the kinds and row types from :mod:`lernnetz.graph.model`,
which never imports this module.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from lernnetz.graph.levels import association_props, named_associations
from lernnetz.graph.model import (
    LEVEL_KIND,
    EdgeKind,
    EdgeRow,
    GraphData,
    GraphTables,
    NodeKind,
    NodeRow,
    participation_edges,
    tie_edges,
)
from lernnetz.loaders.records import LAENDER, Register


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
    _association_nodes(data, idx, nodes)
    meta = {
        "register_source": prov.url or prov.source,
        "register_sha256": prov.sha256,
        "stichtag": prov.stichtag,
        "population_date": reg.population_date,
        "attribution": prov.attribution,
        "programme_source": src,
    }
    return GraphTables(nodes=nodes, edges=edges, meta=meta)


def _association_nodes(data: GraphData, idx: _Index, nodes: list[NodeRow]) -> None:
    """The Verband nodes the evidence names (programme participation, participation, ties)."""
    prov = data.register.provenance
    source = prov.url or prov.source  # as every register node (and an import, from the store's metadata)
    names = {a.key: a.name for a in data.register.associations}
    for key in named_associations(data):
        if key in names:  # an unknown key stays unknown: its edges are refused as unknown nodes
            members = len(idx.by_association.get(key, []))
            props = association_props(key, names[key], members, source, prov.stichtag)
            nodes.append(NodeRow(NodeKind.ASSOCIATION, key, props))


def _programme_layer(data: GraphData, idx: _Index, nodes: list[NodeRow], edges: list[EdgeRow]) -> None:
    """Programme nodes and PARTICIPATES_IN edges."""
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
