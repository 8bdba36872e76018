"""``matches``: non-funded places near a region that share a topic with a model project.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from lernnetz.graph.analytics.basic import check_radius
from lernnetz.graph.analytics.context import (
    MATCH_COLUMNS,
    MATCH_HALF_LIFE_KM,
    _context,
    _decay,
    _empty,
    _frame,
    _near,
    _projects_all,
    _projects_near,
    _region,
    _round,
)
from lernnetz.graph.analytics.min_evidence import with_min_evidence
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- matches


def matches(
    store: GraphStore,
    region: str,
    radius_km: float,
    topics: Sequence[str] | None = None,
    projects: Literal["near", "all"] = "near",
    min_evidence: str | float | None = None,
) -> pd.DataFrame:
    """Non-funded municipalities near a region that share a topic with a model project.

    ``min_evidence`` counts only evidence of that kind or stronger (e.g. ``"registered"``;
    see :mod:`~lernnetz.graph.analytics.min_evidence`).

    Semantics, exactly:

    1. ``region`` is resolved with :func:`lernnetz.graph.regions.resolve_region` (AGS, project id or
       name; unknown → ``NotFound``, ambiguous → ``Ambiguous``); ``0 < radius_km ≤ 1000``.
    2. The **area** is every municipality whose distance to the region (min over the
       region's Gemeinden, 0 inside) is ≤ ``radius_km`` (``store.near``).
    3. **Candidates**: municipalities in the area that are not funded and have at least one
       topic (interest or attended event's focus); with ``topics`` given, only those
       topics count (unknown topic → ``NotFound``).
    4. **Considered projects**: ``projects="near"`` — every project whose territory lies
       within ``radius_km`` of the region (min distance territory ↔ region ≤ radius);
       ``projects="all"`` — every project.
    5. A candidate is returned iff it shares at least one topic with at least one
       considered project: a *shared topic* is a topic of the candidate (after the
       ``topics`` filter) that a considered project ADDRESSES.
    6. ``projects`` lists, for the row, every considered project sharing a topic with it:
       ``{id, name, distance_km, shared_topics}`` with ``distance_km`` from the candidate
       to the project's territory; ordered by IDF-weighted shared topics (desc),
       distance, id. ``evidence`` lists the interests/attendances behind the shared
       topics: ``{topic, via, kind, source, date, event_id}``.
    7. ``distance_km`` is the candidate's distance to the region.
    8. ``score = topic_idf × evidence × distance_decay`` where ``topic_idf`` = Σ IDF of
       the shared topics, ``evidence`` = the IDF-weighted mean evidence strength over
       them, and ``distance_decay`` = 0.5^(d / 30 km) with d the distance to the nearest
       listed project. All four parts are in ``score_components`` (with
       ``nearest_project_km``).

    Rows are ordered by score (desc), distance_km (asc), AGS (asc).
    """
    radius_km = check_radius(radius_km)
    if projects not in ("near", "all"):
        raise InvalidArgument(f"projects must be 'near' or 'all' (got {projects!r})")
    ctx = with_min_evidence(_context(store), min_evidence)
    reg = _region(store, ctx, region)
    wanted = ctx.topic_args(topics)
    allowed = frozenset(wanted) if wanted is not None else None
    pos, dist = _near(store, ctx, reg, radius_km)
    keep = ~ctx.funded[pos] & ctx.mask(wanted)[pos]
    cand, cand_dist = pos[keep], dist[keep]
    considered = _projects_near(ctx, pos) if projects == "near" else _projects_all(ctx)
    proj_topics = {
        pid: (ctx.projects[pid].topics if allowed is None else ctx.projects[pid].topics & allowed)
        for pid in considered
    }
    proj_topics = {pid: ts for pid, ts in proj_topics.items() if ts}
    offered = frozenset().union(*proj_topics.values()) if proj_topics else frozenset()
    if len(cand) == 0 or not offered:
        return _empty(MATCH_COLUMNS)

    # the candidates that share something, and their shared topics
    shared: dict[int, list[str]] = {}
    for c in cand.tolist():
        ts = [t for t in ctx.topics_of(c, allowed) if t in offered]
        if ts:
            shared[c] = ts
    if not shared:
        return _empty(MATCH_COLUMNS)
    rows_pos = np.array(sorted(shared), dtype=np.int64)
    dist_of = dict(zip(cand.tolist(), cand_dist.tolist(), strict=True))

    # project distances per candidate (one vectorised call per project)
    listed: dict[int, list[tuple[float, float, str, list[str]]]] = defaultdict(list)
    for pid, pts in proj_topics.items():
        who = [c for c in rows_pos.tolist() if pts.intersection(shared[c])]
        if not who:
            continue
        d = ctx.distance_to_project(np.array(who, dtype=np.int64), pid)
        for c, km in zip(who, d.tolist(), strict=True):
            ts = sorted(pts.intersection(shared[c]))
            weight = sum(ctx.idf.get(t, 0.0) for t in ts)
            listed[c].append((-weight, km, pid, ts))

    out = []
    for c in rows_pos.tolist():
        plist = sorted(listed[c])
        ts = shared[c]
        idf_sum = sum(ctx.idf.get(t, 0.0) for t in ts)
        weighted = sum(ctx.idf.get(t, 0.0) * ctx.strength[c][t] for t in ts)
        evidence = weighted / idf_sum if idf_sum > 0 else 0.0
        nearest = min(km for _, km, _, _ in plist)
        decay = _decay(nearest, MATCH_HALF_LIFE_KM)
        row = ctx.row(c)
        row.update(
            distance_km=float(dist_of[c]),
            shared_topics=ts,
            projects=[
                {"id": pid, "name": ctx.projects[pid].name, "distance_km": round(km, 3), "shared_topics": pts}
                for _, km, pid, pts in plist
            ],
            evidence=[e.as_dict() for t in ts for e in ctx.evidence[c][t]],
            score=_round(idf_sum * evidence * decay),
            score_components={
                "topic_idf": _round(idf_sum),
                "evidence": _round(evidence),
                "distance_decay": _round(decay),
                "nearest_project_km": round(nearest, 3),
            },
        )
        out.append(row)
    out.sort(key=lambda r: (-r["score"], r["distance_km"], r["ags"]))
    return _frame(out, MATCH_COLUMNS)
