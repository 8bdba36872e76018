"""``connections``: how two places or projects are connected.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lernnetz.graph.analytics.area import _region
from lernnetz.graph.analytics.context import _Context, _context
from lernnetz.graph.analytics.frames import _columns, _empty, _rows
from lernnetz.graph.analytics.interests import place_names
from lernnetz.graph.errors import Ambiguous, InvalidArgument
from lernnetz.graph.model import TIE_END_KIND, NodeKind, node_id, split_node_id
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- connections


@dataclass
class Connections:
    """How two places (Gemeinden, Kreise, Verbände) or projects are linked (see :func:`connections`)."""

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


#: Entity kind (as in ``relations()``) → participation level, for Kreise and Verbände.
PLACE_LEVEL = {"district": "kreis", "association": "verband"}


def _verband(store: GraphStore, text: str) -> dict[str, Any] | None:
    """A Gemeindeverband named by its 9-digit key or as "VG X", "Amt X", "Verbandsgemeinde X" …"""
    from lernnetz.graph.participation import resolver_for
    from lernnetz.loaders.namefold import ASSOCIATION_PREFIXES, fold

    t = text.strip()
    if not ((t.isdigit() and len(t) == 9) or fold(t).startswith(ASSOCIATION_PREFIXES)):
        return None
    res = resolver_for(store).resolve(t)
    if res.status == "ambiguous" and res.level == "verband":
        raise Ambiguous(
            res.reason, [{"kind": "association", "key": c.ags, "name": c.name} for c in res.candidates]
        )
    if not res.matched or res.level != "verband":
        return None
    return {"kind": "association", "key": res.ags, "name": res.name}


def _entity(store: GraphStore, ctx: _Context, text: str) -> dict[str, Any]:
    verband = _verband(store, text)
    if verband is not None:
        return verband
    reg = _region(store, ctx, text)
    if reg.kind not in {"municipality", "project", "district"}:
        raise InvalidArgument(
            f"{text!r} is a {reg.kind}; connections are between municipalities, Kreise, Verbände and projects",
            hint='give a Gemeinde (name or AGS), a Kreis, a Verband ("VG X", "Amt X" or its key) or a project id',
        )
    return {"kind": reg.kind, "key": reg.key, "name": reg.name}


def _place_topics(store: GraphStore, ctx: _Context, ent: dict[str, Any]) -> dict[str, str]:
    """A Kreis's or Verband's topics: its own interests, its attended events' focus, its
    other-programme evidence (never its Gemeinden's)."""
    level, key = PLACE_LEVEL[ent["kind"]], ent["key"]
    out: dict[str, list[str]] = defaultdict(list)
    li = store.level_interests()
    for r in _rows(li[(li["level"] == level) & (li["key"] == key)]):
        at = f" at {r.event_id}" if r.event_id else ""
        out[str(r.topic)].append(f"interest {r.kind} {r.date}{at} ({r.source})")
    la = store.level_attendances()
    for r in _rows(la[(la["level"] == level) & (la["key"] == key)]):
        for t in ctx.events.get(str(r.event_id), {}).get("topics", []):
            out[str(t)].append(f"event {r.kind} {r.date} at {r.event_id} ({r.source})")
    place = ctx.places.get(key)
    if place is not None and place.level == level:
        for t, items in place.evidence.items():
            out[t].extend(e.reason for e in items)
    return {t: "; ".join(v) for t, v in sorted(out.items())}


def _entity_topics(store: GraphStore, ctx: _Context, ent: dict[str, Any]) -> dict[str, str]:
    """topic → description of why the entity has it."""
    if ent["kind"] in PLACE_LEVEL:
        return _place_topics(store, ctx, ent)
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
    if ent["kind"] in PLACE_LEVEL:
        la = store.level_attendances()
        a = la[(la["level"] == PLACE_LEVEL[ent["kind"]]) & (la["key"] == ent["key"])]
    else:
        a = store.attendances([ent["key"]])
    out: dict[str, set[str]] = defaultdict(set)
    for e, k in zip(*_columns(a, "event_id", "kind"), strict=True):
        out[str(e)].add(str(k))
    return {e: "attended (" + ", ".join(sorted(ks)) + ")" for e, ks in sorted(out.items())}


def connections(store: GraphStore, a: str, b: str) -> Connections:
    """How two municipalities, Kreise, Verbände or projects are linked — material for a warm introduction.

    ``a`` and ``b`` are each a Gemeinde (name or AGS), a Kreis (name or 5-digit key), a
    Verband ("VG Vallendar", "Amt Süderbrarup" or its 9-digit key) or a project (id or name).
    ``shared_topics``: topics both have (a municipality's from its interests and attended
    events; a Kreis's or Verband's from its own interests, attended events and other-programme
    evidence, never its Gemeinden's; a project's from ADDRESSES), with the evidence on each side.
    ``shared_events``: events both took part in (a place ATTENDED, a project HOSTED).
    ``ties``: the typed KTS ties between the two (either direction), plus MEMBER_OF when
    the municipality (or the whole Kreis) lies in the project's territory. ``paths``: up to 5 shortest paths
    in the graph (ignoring Kreis/Land structure edges, at most 6 hops), each a list of
    ``{id, kind, key, name}``.
    """
    ctx = _context(store)
    ea, eb = _entity(store, ctx, a), _entity(store, ctx, b)
    if (ea["kind"], ea["key"]) == (eb["kind"], eb["key"]):
        raise InvalidArgument(f"{a!r} and {b!r} are the same {ea['kind']}")
    ta, tb = _entity_topics(store, ctx, ea), _entity_topics(store, ctx, eb)
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
        if m_["kind"] == "district" and p_["kind"] == "project":  # a whole Kreis listed as territory
            mem = store.members([p_["key"]])
            hit = mem[(mem["kind"] == NodeKind.DISTRICT.value) & (mem["key"] == m_["key"])]
            for r in _rows(hit):
                tie_rows.append(
                    {"type": "MEMBER_OF", "from_kind": "district", "from_key": m_["key"], "to_kind": "project",
                     "to_key": p_["key"], "source": str(r.source), "note": f"territory ({r.role})"}
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
    return TIE_END_KIND.get(kind, NodeKind.MUNICIPALITY)


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
        name = ctx.places[key].label if key in ctx.places else place_names(store).get(("verband", key), key)
    return {"id": nid, "kind": kind.value, "key": key, "name": name}
