"""``matches``: non-funded places near a region that share a topic with a model project.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, Literal

import numpy as np
import pandas as pd

from lernnetz.graph.analytics.area import _near, _projects_all, _projects_near, _region
from lernnetz.graph.analytics.basic import check_radius
from lernnetz.graph.analytics.context import _Context, _context
from lernnetz.graph.analytics.frames import Rows, _decay
from lernnetz.graph.analytics.min_evidence import with_min_evidence
from lernnetz.graph.analytics.notes import match_notes
from lernnetz.graph.analytics.params import (
    MATCH_COLUMNS,
    MATCH_HALF_LIFE_KM,
    SCORE_DECIMALS,
    FloatArray,
    IntArray,
)
from lernnetz.graph.analytics.places import FUNDED_MEANS, FUNDED_WAYS, Evidence
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- matches

_TEXT_COLUMNS = {"ags", "name", "district", "state", "level", "funded_as", "funded_confidence"}
_FLOAT_COLUMNS = {"distance_km", "score", "lat", "lon"}


def matches(
    store: GraphStore,
    region: str,
    radius_km: float,
    topics: Sequence[str] | None = None,
    projects: Literal["near", "all"] = "near",
    funded_means: str = "any",
    min_evidence: str | float | None = None,
) -> pd.DataFrame:
    """Non-funded places near a region that share a topic with a model project.

    ``min_evidence`` counts only evidence of that kind or stronger (e.g. ``"registered"``;
    see :mod:`~lernnetz.graph.analytics.min_evidence`).

    Semantics, exactly:

    1. ``region`` is resolved with :func:`lernnetz.graph.regions.resolve_region` (AGS, project id or
       name; unknown → ``NotFound``, ambiguous → ``Ambiguous``); ``0 < radius_km ≤ 1000``.
    2. The **area** is every municipality whose distance to the region (min over the
       region's Gemeinden, 0 inside) is ≤ ``radius_km`` (as ``store.near``).
    3. **Candidates**: municipalities in the area that are not funded and have at least one
       topic (interest, attended event's focus, or other-programme participation); with
       ``topics`` given, only those topics count (unknown topic → ``NotFound``). Kreise and
       Verbände with evidence of their own (other-programme rows that name them) are
       candidates of their own ``level`` when one of their Gemeinden lies in the area;
       their distances are those of their nearest Gemeinde; their evidence is never spread
       onto their Gemeinden. ``funded_means`` says which ways of being funded exclude a
       candidate (:mod:`lernnetz.graph.analytics.places`): ``any`` (default) every way,
       ``verband`` listed members and Verbände, ``member`` listed members only.
    4. **Considered projects**: ``projects="near"`` — every project whose territory lies
       within ``radius_km`` of the region (min distance territory ↔ region ≤ radius);
       ``projects="all"`` — every project.
    5. A candidate is returned iff it shares at least one topic with at least one
       considered project: a *shared topic* is a topic of the candidate (after the
       ``topics`` filter) that a considered project ADDRESSES.
    6. ``projects`` lists, for the row, every considered project sharing a topic with it:
       ``{id, name, distance_km, shared_topics, status, end_date}`` with ``distance_km``
       from the candidate to the project's territory; ordered by IDF-weighted shared
       topics (desc), distance, id. ``evidence`` lists the interests/attendances/programme
       rows behind the shared topics: ``{topic, via, kind, source, date, event_id,
       programme, reason}``. ``reasons`` are the evidence's reasons in words, then a note
       for every listed project that has ended (it can still be learned from).
    7. ``distance_km`` is the candidate's distance to the region.
    8. ``score = topic_idf × evidence × distance_decay`` where ``topic_idf`` = Σ IDF of
       the shared topics, ``evidence`` = the IDF-weighted mean evidence strength over
       them, and ``distance_decay`` = 0.5^(d / 30 km) with d the distance to the nearest
       listed project. All four parts are in ``score_components`` (with
       ``nearest_project_km``).
    9. ``level`` (gemeinde, verband, kreis), ``funded_as`` (how the place is funded, '' if
       not), ``funded_confidence`` and ``funded_members`` (a Kreis's or Verband's funded
       Gemeinden when it is not funded itself).

    Rows are ordered by score (desc), distance_km (asc), key (asc). An empty result
    carries ``df.attrs["notes"]``: why, and what would help.
    """
    return match_rows(store, region, radius_km, topics, projects, funded_means, min_evidence).frame()


def match_rows(
    store: GraphStore,
    region: str,
    radius_km: float,
    topics: Sequence[str] | None = None,
    projects: Literal["near", "all"] = "near",
    funded_means: str = "any",
    min_evidence: str | float | None = None,
) -> Rows:
    """The rows of :func:`matches` before they become its frame (``.frame()`` is that frame;
    the API pages and serialises the rows without it)."""
    radius_km = check_radius(radius_km)
    if projects not in ("near", "all"):
        raise InvalidArgument(f"projects must be 'near' or 'all' (got {projects!r})")
    ctx = with_min_evidence(_context(store), min_evidence)
    funded = ctx.funded_under(funded_means)
    limit = FUNDED_MEANS[funded_means]
    reg = _region(store, ctx, region)
    wanted = ctx.topic_args(topics)
    allowed = frozenset(wanted) if wanted is not None else None
    pos, dist = _near(store, ctx, reg, radius_km)
    with_topic = ctx.mask(wanted)[pos]
    keep = ~funded[pos] & with_topic
    cand = pos[keep]
    dist_of = dict(zip(cand.tolist(), dist[keep].tolist(), strict=True))
    places = _places_in_area(ctx, pos, dist, allowed, limit)
    considered = _projects_near(ctx, pos) if projects == "near" else _projects_all(ctx)
    proj_topics = {
        pid: (ctx.projects[pid].topics if allowed is None else ctx.projects[pid].topics & allowed)
        for pid in considered
    }
    proj_topics = {pid: ts for pid, ts in proj_topics.items() if ts}
    offered = frozenset().union(*proj_topics.values()) if proj_topics else frozenset()

    # the candidates that share something, and their shared topics
    shared: dict[int, list[str]] = {}
    own_of = ctx.strength
    if allowed is not None:  # the few asked topics on offer, sorted, looked up in each candidate's own
        want = sorted(allowed & offered)
        for c in cand.tolist():
            own = own_of.get(c, {})
            if ts := [t for t in want if t in own]:
                shared[c] = ts
    else:
        for c in cand.tolist():  # a candidate's own topics are sorted (the context keeps them so)
            if ts := [t for t in own_of[c] if t in offered]:
                shared[c] = ts
    shared_places = {
        key: ts for key, (_, ts_all) in places.items() if (ts := [t for t in ts_all if t in offered])
    }
    if not shared and not shared_places:
        notes = match_notes(
            ctx, reg.name, radius_km, wanted, projects, funded_means, n_candidates=len(cand) + len(places),
            n_funded_excluded=int((funded[pos] & with_topic).sum()), offered=offered,
            funded_any=ctx.funded_under("any")[pos] & with_topic, min_evidence=min_evidence,
        )  # fmt: skip
        return Rows([], MATCH_KINDS, {"notes": notes})
    rows_pos = sorted(shared)
    idf = ctx.idf

    # project distances per candidate (kept in the context once computed, by one vectorised call
    # per project); a candidate's shared topics are sorted, so the topics it shares with a project are too
    listed: dict[int, list[tuple[float, float, str, list[str]]]] = {c: [] for c in rows_pos}
    for pid, pts in proj_topics.items():
        who = [c for c in rows_pos if not pts.isdisjoint(shared[c])]
        if not who:
            continue
        for c, km in zip(who, ctx.distances_to_project(who, pid), strict=True):
            ts = [t for t in shared[c] if t in pts]
            listed[c].append((-sum([idf.get(t, 0.0) for t in ts]), km, pid, ts))

    # each row's score first (what orders the answer); the rows themselves are made when read
    # (a page of a long answer makes only its own)
    out = []
    strength, evidence = ctx.strength, ctx.evidence
    for c in rows_pos:
        base = ctx.row_base(c)
        out.append(
            _scored(ctx, c, base, [], shared[c], strength[c], evidence[c], sorted(listed[c]), dist_of[c])
        )
    for key, ts in shared_places.items():
        place = ctx.places[key]
        plist = []
        for pid, pts in proj_topics.items():
            common = sorted(pts.intersection(ts))
            if common:
                km = ctx.distance_to_project_from(place.members, pid)
                plist.append((-sum(idf.get(t, 0.0) for t in common), km, pid, common))
        base = ctx.place_row(place)
        out.append(_scored(ctx, key, base, base["funded_members"], ts, place.strength, place.evidence,
                           sorted(plist), places[key][0]))  # fmt: skip
    out.sort(key=_ORDER)
    return Rows(out, MATCH_KINDS, in_order=True, make=partial(_row, ctx))


#: Answer order: score (desc), distance_km (asc), key (asc) — the first three of a scored entry.
_ORDER = itemgetter(0, 1, 2)


#: The kinds of the answer's columns (:func:`~lernnetz.graph.analytics.frames._typed_frame`).
MATCH_KINDS = {
    c: "text"
    if c in _TEXT_COLUMNS
    else "int"
    if c == "population"
    else "float"
    if c in _FLOAT_COLUMNS
    else "object"
    for c in MATCH_COLUMNS
}


def _places_in_area(
    ctx: _Context, pos: IntArray, dist: FloatArray, allowed: frozenset[str] | None, limit: int
) -> dict[str, tuple[float, list[str]]]:
    """Kreis/Verband candidates with a Gemeinde in the area: key → (distance, topics)."""
    keys, members, starts = _place_arrays(ctx)
    if not keys:
        return {}
    area = np.full(len(ctx.ags), np.inf)  # distance of every Gemeinde in the area, inf elsewhere
    area[pos] = dist
    nearest = np.minimum.reduceat(area[members], starts).tolist()  # per place: its nearest Gemeinde
    out: dict[str, tuple[float, list[str]]] = {}
    for key, d in zip(keys, nearest, strict=True):
        if not math.isfinite(d):
            continue
        place = ctx.places[key]
        if place.funded_as and FUNDED_WAYS.index(place.funded_as) <= limit:
            continue
        if ts := [t for t in place.strength if allowed is None or t in allowed]:
            out[key] = (d, ts)
    return out


def _place_arrays(ctx: _Context) -> tuple[list[str], IntArray, IntArray]:
    """The places with located Gemeinden (in ``ctx.places`` order), their Gemeinden in one array,
    and where each place's run starts (for ``np.minimum.reduceat``); kept in the context."""
    hit = ctx.place_arrays.get("members")
    if hit is None:
        keys = [k for k, p in ctx.places.items() if len(p.members)]
        runs = [ctx.places[k].members for k in keys]
        starts = np.cumsum([0] + [len(r) for r in runs[:-1]]).astype(np.intp)
        members = np.concatenate(runs).astype(np.intp) if runs else np.array([], dtype=np.intp)
        hit = ctx.place_arrays["members"] = (keys, members, starts)
    return hit


def _topic_part(
    ctx: _Context,
    key: int | str,
    ts: list[str],
    strength: dict[str, float],
    evidence: Mapping[str, list[Evidence]],
) -> tuple[float, float, tuple[dict[str, Any], ...], tuple[str, ...], float, float]:
    """What a place's shared topics give its row whatever the region: (Σ IDF, the IDF-weighted mean
    evidence strength, the evidence as public dicts, their reasons, and the first two rounded). Kept per context and (place,
    topics), as ``ctx.row`` keeps a Gemeinde's own columns; every row gets copies."""
    memo = ctx.topic_parts
    k = (key, tuple(ts))
    hit = memo.get(k)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    idf = ctx.idf
    ws = [idf.get(t, 0.0) for t in ts]
    idf_sum = sum(ws)
    weighted = sum([w * strength[t] for w, t in zip(ws, ts, strict=True)])
    ev = weighted / idf_sum if idf_sum > 0 else 0.0
    items = evidence[ts[0]] if len(ts) == 1 else [e for t in ts for e in evidence[t]]
    reasons = tuple(dict.fromkeys([e.reason for e in items if e.reason]))
    part = (idf_sum, ev, tuple(e.as_dict() for e in items), reasons,
            round(float(idf_sum), SCORE_DECIMALS), round(float(ev), SCORE_DECIMALS))  # fmt: skip
    if len(memo) >= _TOPIC_PARTS:
        memo.clear()
    memo[k] = part
    return part


#: ``_topic_part`` keeps at most this many (place, topics) entries per context (a few KB each).
_TOPIC_PARTS = 50_000


def _scored(
    ctx: _Context,
    key: int | str,
    base: dict[str, Any],
    funded_members: list[str],
    ts: list[str],
    strength: dict[str, float],
    evidence: Mapping[str, list[Evidence]],
    plist: list[tuple[float, float, str, list[str]]],
    distance_km: float,
) -> tuple[Any, ...]:
    """What orders a row, and what makes it (:func:`_row`): (-score, distance_km, key, base,
    funded members, shared topics ``ts``, the listed projects ``plist`` ((-IDF of the topics shared
    with it, km, id, topics), sorted), the topic part, nearest project km, decay, score)."""
    part = _topic_part(ctx, key, ts, strength, evidence)
    idf_sum, ev = part[0], part[1]
    nearest = min([km for _, km, _, _ in plist])
    decay = _decay(nearest, MATCH_HALF_LIFE_KM)
    score = round(float(idf_sum * ev * decay), SCORE_DECIMALS)  # as _round, without the call
    d = float(distance_km)
    return (-score, d, base["ags"], base, funded_members, ts, plist, part, nearest, decay, score)


def _row(ctx: _Context, scored: tuple[Any, ...]) -> dict[str, Any]:
    """One answer row from its :func:`_scored` entry, with its columns in ``MATCH_COLUMNS`` order."""
    _, distance_km, _, base, funded_members, ts, plist, part, nearest, decay, score = scored
    _, _, ev_dicts, ev_reasons, idf_rounded, ev_rounded = part
    reasons = list(ev_reasons)
    listed = []
    projects = ctx.projects
    for _, km, pid, pts in plist:
        p = projects[pid]
        listed.append({"id": pid, "name": p.name, "distance_km": round(km, 3), "shared_topics": pts,
                       "status": p.status, "end_date": p.end_date})  # fmt: skip
        if p.status:
            reasons.append(p.status_note())
    return {
        "ags": base["ags"],
        "name": base["name"],
        "district": base["district"],
        "state": base["state"],
        "population": base["population"],
        "distance_km": distance_km,
        "shared_topics": ts,
        "projects": listed,
        "evidence": [d.copy() for d in ev_dicts],
        "score": score,
        "score_components": {
            "topic_idf": idf_rounded,
            "evidence": ev_rounded,
            "distance_decay": round(float(decay), SCORE_DECIMALS),
            "nearest_project_km": round(nearest, 3),
        },
        "lat": base["lat"],
        "lon": base["lon"],
        "level": base["level"],
        "funded_as": base["funded_as"],
        "funded_confidence": base["funded_confidence"],
        "funded_members": funded_members,
        "reasons": reasons,
    }
