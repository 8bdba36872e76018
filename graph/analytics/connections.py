"""``connections``: how two places or projects are connected.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lernnetz.graph.analytics.context import _Context, _context, _region
from lernnetz.graph.analytics.frames import _columns, _empty, _rows
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.model import NodeKind, node_id, split_node_id
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- connections


@dataclass
class Connections:
    """How two municipalities or projects are linked (see :func:`connections`)."""

    a: dict[str, Any]
    b: dict[str, Any]
    shared_topics: pd.DataFrame
    shared_events: pd.DataFrame
    ties: pd.DataFrame
    paths: list[list[dict[str, Any]]]

    def to_frame(self) -> pd.DataFrame:
        """One summary table: ``connection`` (topic, event, tie, path), ``key``, ``label``, ``detail``."""
        rows = []
        for r in _rows(self.shared_topics):
            rows.append(
                {"connection": "topic", "key": r.topic, "label": r.label,
                 "detail": f"{self.a['name']}: {r.a_evidence} | {self.b['name']}: {r.b_evidence}"}
            )  # fmt: skip
        for r in _rows(self.shared_events):
            rows.append(
                {"connection": "event", "key": r.event_id, "label": r.title,
                 "detail": f"{r.date} {r.kind}; {self.a['name']} {r.a_role}, {self.b['name']} {r.b_role}"}
            )  # fmt: skip
        for r in _rows(self.ties):
            rows.append(
                {"connection": "tie", "key": r.type, "label": f"{r.from_key} → {r.to_key}",
                 "detail": f"{r.note} (source: {r.source})".strip()}
            )  # fmt: skip
        for i, p in enumerate(self.paths, start=1):
            rows.append(
                {"connection": "path", "key": str(i), "label": f"{len(p) - 1} hops",
                 "detail": " — ".join(f"{n['name']} [{n['kind']}]" for n in p)}
            )  # fmt: skip
        return pd.DataFrame(rows, columns=["connection", "key", "label", "detail"])


SHARED_TOPIC_COLUMNS = ["topic", "label", "a_evidence", "b_evidence"]
SHARED_EVENT_COLUMNS = ["event_id", "title", "date", "kind", "a_role", "b_role"]
TIE_COLUMNS = ["type", "from_kind", "from_key", "to_kind", "to_key", "source", "note"]


def _entity(store: GraphStore, ctx: _Context, text: str) -> dict[str, Any]:
    reg = _region(store, ctx, text)
    if reg.kind not in {"municipality", "project"}:
        raise InvalidArgument(
            f"{text!r} is a {reg.kind}; connections are between municipalities and projects",
            hint="give a Gemeinde (name or AGS) or a project id",
        )
    return {"kind": reg.kind, "key": reg.key, "name": reg.name}


def _entity_topics(ctx: _Context, ent: dict[str, Any]) -> dict[str, str]:
    """topic → description of why the entity has it."""
    if ent["kind"] == "project":
        return dict.fromkeys(sorted(ctx.projects[ent["key"]].topics), "addresses")
    pos = ctx.positions([ent["key"]])
    if len(pos) == 0:
        return {}
    out = {}
    for t, items in sorted(ctx.evidence.get(int(pos[0]), {}).items()):
        out[t] = "; ".join(
            e.reason
            if e.via == "programme"  # "Dettum: DorfFunk 2023 (adopter), Kommunikation, source …"
            else f"{e.via} {e.kind} {e.date}" + (f" at {e.event_id}" if e.event_id else "") + f" ({e.source})"
            for e in items
        )
    return out


def _entity_events(store: GraphStore, ent: dict[str, Any]) -> dict[str, str]:
    if ent["kind"] == "project":
        h = store.event_hosts()
        return dict.fromkeys(sorted(h.loc[h["project_id"] == ent["key"], "event_id"].astype(str)), "hosted")
    a = store.attendances([ent["key"]])
    out: dict[str, set[str]] = defaultdict(set)
    for e, k in zip(*_columns(a, "event_id", "kind"), strict=True):
        out[str(e)].add(str(k))
    return {e: "attended (" + ", ".join(sorted(ks)) + ")" for e, ks in sorted(out.items())}


def connections(store: GraphStore, a: str, b: str) -> Connections:
    """How two municipalities or projects are linked — material for a warm introduction.

    ``a`` and ``b`` are each a Gemeinde (name or AGS) or a project (id or name).
    ``shared_topics``: topics both have (a municipality's from its interests and attended
    events, a project's from ADDRESSES), with the evidence on each side.
    ``shared_events``: events both took part in (a municipality ATTENDED, a project HOSTED).
    ``ties``: the typed KTS ties between the two (either direction), plus MEMBER_OF when
    the municipality lies in the project's territory. ``paths``: up to 5 shortest paths
    in the graph (ignoring Kreis/Land structure edges, at most 6 hops), each a list of
    ``{id, kind, key, name}``.
    """
    ctx = _context(store)
    ea, eb = _entity(store, ctx, a), _entity(store, ctx, b)
    if (ea["kind"], ea["key"]) == (eb["kind"], eb["key"]):
        raise InvalidArgument(f"{a!r} and {b!r} are the same {ea['kind']}")
    ta, tb = _entity_topics(ctx, ea), _entity_topics(ctx, eb)
    shared_t = [
        {"topic": t, "label": ctx.topic_labels.get(t, t), "a_evidence": ta[t], "b_evidence": tb[t]}
        for t in sorted(set(ta) & set(tb))
    ]
    va, vb = _entity_events(store, ea), _entity_events(store, eb)
    shared_e = []
    for e in sorted(set(va) & set(vb)):
        ev = ctx.events.get(e, {})
        shared_e.append(
            {"event_id": e, "title": ev.get("title", ""), "date": ev.get("date", ""), "kind": ev.get("kind", ""),
             "a_role": va[e], "b_role": vb[e]}
        )  # fmt: skip
    rel = store.relations()
    ka, kb = (ea["kind"], ea["key"]), (eb["kind"], eb["key"])
    tie_rows = [
        {c: str(getattr(r, c) or "") for c in TIE_COLUMNS}
        for r in _rows(rel)
        if {(r.from_kind, r.from_key), (r.to_kind, r.to_key)} == {ka, kb}
    ]
    for m_, p_ in ((ea, eb), (eb, ea)):
        if m_["kind"] == "municipality" and p_["kind"] == "project":
            terr = store.territories([p_["key"]])
            if (terr["ags"] == m_["key"]).any():
                via = str(terr.loc[terr["ags"] == m_["key"], "via"].iloc[0])
                tie_rows.append(
                    {"type": "MEMBER_OF", "from_kind": "municipality", "from_key": m_["key"], "to_kind": "project",
                     "to_key": p_["key"], "source": "data/project_members.csv", "note": f"territory (via {via})"}
                )  # fmt: skip
    ties = pd.DataFrame(tie_rows, columns=TIE_COLUMNS) if tie_rows else _empty(TIE_COLUMNS)
    ids = store.shortest_paths(
        node_id(_node_kind(ea["kind"]), ea["key"]),
        node_id(_node_kind(eb["kind"]), eb["key"]),
        max_hops=6,
        limit=5,
    )
    paths = [[_describe_node(store, ctx, n) for n in p] for p in ids]
    return Connections(
        a=ea,
        b=eb,
        shared_topics=pd.DataFrame(shared_t, columns=SHARED_TOPIC_COLUMNS)
        if shared_t
        else _empty(SHARED_TOPIC_COLUMNS),
        shared_events=pd.DataFrame(shared_e, columns=SHARED_EVENT_COLUMNS)
        if shared_e
        else _empty(SHARED_EVENT_COLUMNS),
        ties=ties,
        paths=paths,
    )


def _node_kind(kind: str) -> NodeKind:
    return NodeKind.PROJECT if kind == "project" else NodeKind.MUNICIPALITY


def _describe_node(store: GraphStore, ctx: _Context, nid: str) -> dict[str, Any]:
    kind, key = split_node_id(nid)
    name = key
    if kind == NodeKind.MUNICIPALITY:
        pos = ctx.positions([key])
        name = ctx.name[int(pos[0])] if len(pos) else key
    elif kind == NodeKind.PROJECT:
        name = ctx.projects[key].name if key in ctx.projects else key
    elif kind == NodeKind.TOPIC:
        name = ctx.topic_labels.get(key, key)
    elif kind == NodeKind.EVENT:
        name = str(ctx.events.get(key, {}).get("title") or key)
    elif kind == NodeKind.DISTRICT:
        d = store.districts()
        hit = d.loc[d["key"] == key, "name"]
        name = str(hit.iloc[0]) if len(hit) else key
    elif kind == NodeKind.STATE:
        s = store.states()
        hit = s.loc[s["code"] == key, "name"]
        name = str(hit.iloc[0]) if len(hit) else key
    elif kind == NodeKind.PROGRAMME:  # another programme both take part in
        p = store.programmes()
        hit = p.loc[p["id"] == key, "name"]
        name = str(hit.iloc[0]) if len(hit) else key
    elif kind == NodeKind.ASSOCIATION:
        name = ctx.places[key].label if key in ctx.places else key
    return {"id": nid, "kind": kind.value, "key": key, "name": name}
