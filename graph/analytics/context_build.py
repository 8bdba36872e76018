"""Building the analytics context (:class:`lernnetz.graph.analytics.context._Context`) from a
store's tables: the register arrays in AGS order, project territories and topics, IDF, the
evidence per Gemeinde and topic, Kreis/Verband places and events. Called once per store state by
:func:`lernnetz.graph.analytics.context._context`; every step is one pass over a table or
vectorised, and the Gemeinden's evidence is kept as columns whose Evidence items are made when a
question first shows them (:mod:`lernnetz.graph.analytics.evidence_rows`). On the 10× register
(110,040 points, 100,000 interests) the first ``matches``, tables and context included, takes
about 0.8 s.
"""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import repeat
from typing import Any

import numpy as np

from lernnetz.graph.analytics.context import _Context, _Project
from lernnetz.graph.analytics.evidence_rows import evidence_rows, evidence_strength
from lernnetz.graph.analytics.frames import _rows
from lernnetz.graph.analytics.params import _evidence_weight
from lernnetz.graph.analytics.places import build_places, funding
from lernnetz.graph.geo import SpatialIndex
from lernnetz.graph.store import GraphStore
from lernnetz.loaders.topics import TopicLookup


def build_context(store: GraphStore, stamp: Any, attribution: str) -> _Context:
    """The analytics context of the store's current state, from its tables (see :mod:`.context`)."""
    m = store.municipalities()  # the protocol's order is by AGS already: then no sort (110,000 strings)
    if not m["ags"].is_monotonic_increasing:
        m = m.sort_values("ags", kind="mergesort")
    m = m.reset_index(drop=True)
    d = store.districts()
    s = store.states()
    dnames = dict(zip(d["key"].tolist(), d["name"].tolist(), strict=True))
    snames = dict(zip(s["code"].tolist(), s["name"].tolist(), strict=True))
    ags = m["ags"].to_numpy(dtype=str)
    pos_of = dict(zip(ags.tolist(), range(len(ags)), strict=True))  # str keys, as str(a) of each
    district_key = [str(k or "") for k in m["district_key"].tolist()]
    population = m["population"].fillna(0).to_numpy(dtype=np.int64)
    lat = m["lat"].to_numpy(dtype=np.float64)
    lon = m["lon"].to_numpy(dtype=np.float64)
    located = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon)).astype(np.int64)

    topics = store.topics()
    topic_labels = {
        str(k): str(v) for k, v in zip(topics["slug"].tolist(), topics["label_de"].tolist(), strict=True)
    }

    pt = store.project_topics()
    p_topics: dict[str, set[str]] = defaultdict(set)
    for pid, t in zip(pt["project_id"].tolist(), pt["topic"].tolist(), strict=True):
        p_topics[str(pid)].add(str(t))
    terr = store.territories()
    p_terr: dict[str, list[int]] = defaultdict(list)
    projects_at: dict[int, list[str]] = defaultdict(list)
    for pid, a in zip(terr["project_id"].tolist(), terr["ags"].tolist(), strict=True):
        i = pos_of.get(str(a))
        if i is not None:
            p_terr[str(pid)].append(i)
            projects_at[i].append(str(pid))
    projects: dict[str, _Project] = {}
    for r in _rows(store.projects()):
        pid = str(r.id)
        tpos = np.array(sorted(set(p_terr.get(pid, []))), dtype=np.int64)
        tpos = tpos[~np.isnan(lat[tpos]) & ~np.isnan(lon[tpos])] if len(tpos) else tpos
        lead = pos_of.get(str(r.lead_key or ""))
        if lead is None or lead not in set(tpos.tolist()):
            lead = int(tpos[np.lexsort((tpos, -population[tpos]))[0]]) if len(tpos) else -1
        projects[pid] = _Project(
            id=pid,
            name=str(r.name),
            round=int(r.round),
            category=str(r.category),
            topics=frozenset(p_topics.get(pid, set())),
            territory=tpos,
            lat=lat[tpos],
            lon=lon[tpos],
            anchor=int(lead),
            population=int(population[tpos].sum()) if len(tpos) else 0,
            source=str(r.source or ""),
            status=str(getattr(r, "status", "") or ""),
            end_date=str(getattr(r, "end_date", "") or ""),
            status_source=str(getattr(r, "status_source", "") or ""),
        )
    for v in projects_at.values():
        v.sort()

    n_projects = max(1, len(projects))
    raw_idf = {
        t: math.log((1 + n_projects) / (1 + sum(1 for p in projects.values() if t in p.topics))) + 1.0
        for t in sorted(topic_labels)
    }
    top = max(raw_idf.values(), default=1.0)
    idf = {t: v / top for t, v in raw_idf.items()}

    # evidence: interests, attended events' focus topics, other programmes (kept as columns; a
    # Gemeinde's Evidence items are made when a question first shows them)
    ev_topics: dict[str, list[str]] = defaultdict(list)
    et = store.event_topics()
    for e, t in zip(et["event_id"].tolist(), et["topic"].tolist(), strict=True):
        ev_topics[str(e)].append(str(t))
    names = list(map(str, m["name"].tolist()))
    interests, attendances = store.interests(), store.attendances()
    # other programmes: a Gemeinde's rows are its evidence; a Kreis's or Verband's make a place
    fund = funding(store.members(), pos_of, m)
    programme_ev, places = build_places(
        store.programme_participation(), store.programmes(), m, pos_of, topic_labels, d, snames, fund,
        _evidence_weight,
    )  # fmt: skip
    rows = evidence_rows(interests, attendances, dict(ev_topics), pos_of, names, topic_labels, programme_ev)
    evidence, strength, has_topic, has_any = evidence_strength(rows, len(ags), _evidence_weight)

    events = {}
    ev_df = store.events()
    for r in _rows(ev_df):
        events[str(r.id)] = {
            "title": str(r.title or ""),
            "date": str(r.date_start or ""),
            "kind": str(r.kind or ""),
            "place_key": str(r.place_key or ""),
            "source": str(r.source or ""),
            "topics": sorted(set(ev_topics.get(str(r.id), []))),
        }
    return _Context(
        stamp=stamp,
        ags=ags,
        pos_of=pos_of,
        name=names,
        district_key=district_key,
        district=list(map(str, map(dnames.get, district_key, repeat("")))),
        state=list(map(str, map(snames.get, m["state_code"].tolist(), repeat("")))),
        population=population,
        lat=lat,
        lon=lon,
        funded=m["funded"].fillna(False).to_numpy(dtype=bool),
        topic_labels=topic_labels,
        topic_lookup=TopicLookup.from_frame(topics),
        projects=projects,
        projects_at=dict(projects_at),
        idf=idf,
        evidence=evidence,
        strength=strength,
        has_topic=has_topic,
        has_any=has_any,
        events=events,
        attribution=attribution,
        funded_rank=fund.rank,
        funded_confidence=fund.confidence,
        places=places,
        index=SpatialIndex(lat[located], lon[located]),
        located=located,
    )
