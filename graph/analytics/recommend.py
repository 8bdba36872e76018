"""``recommend``: which projects a municipality should learn from.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lernnetz.graph.analytics.context import (
    RECOMMEND_COLUMNS,
    RECOMMEND_HALF_LIFE_KM,
    RECOMMEND_WEIGHTS,
    SIZE_CLASSES,
    SIZE_LABELS,
    _context,
    _decay,
    _empty,
    _region,
    _round,
    _sorted,
)
from lernnetz.graph.errors import InvalidArgument, NotFound
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- recommend


def size_class(population: int) -> str:
    """GS (≥ 100,000), MS (≥ 20,000) or KL."""
    for code, minimum in SIZE_CLASSES:
        if population >= minimum:
            return code
    return "KL"


def size_score(population: int, category: str) -> float:
    """1 for the same size class, 0.5 for the neighbouring one, 0 otherwise; an IK project
    (Interkommunal/Landkreis) fits Kleinstädte best (1), Mittelstädte half (0.5)."""
    cls = size_class(population)
    if category == "IK":
        return {"KL": 1.0, "MS": 0.5}.get(cls, 0.0)
    order = {"GS": 0, "MS": 1, "KL": 2}
    if category not in order:
        return 0.0
    gap = abs(order[cls] - order[category])
    return {0: 1.0, 1: 0.5}.get(gap, 0.0)


def recommend(store: GraphStore, municipality: str, top: int = 5) -> pd.DataFrame:
    """Model projects ranked for one municipality to learn from, with reasons.

    For municipality m (name or AGS; a Gemeinde) and every project p whose territory does
    not contain m:

    * ``topic_score`` = Σ_{t ∈ T(m) ∩ T(p)} IDF(t)·s(m,t) / Σ_{t ∈ T(m)} IDF(t)·s(m,t): the
      IDF- and evidence-weighted share of m's topics that p addresses (0 when m has no
      recorded topics);
    * ``distance_score`` = 0.5^(d / 50 km), d = distance from m to p's territory;
    * ``size_score`` = :func:`size_score` of m's size class against p's category;
    * ``score`` = 0.6·topic_score + 0.3·distance_score + 0.1·size_score.

    Ordered by score (desc), distance (asc), project id; the first ``top`` (1–100).
    ``reasons`` says it in words, one item per shared topic, distance and size, and for an
    ended project that it ended (it is still recommended: its results can be learned from);
    ``project_status`` is ``ended``/``left`` where a source says so, else ''.
    """
    if not 1 <= int(top) <= 100:
        raise InvalidArgument(f"top must be between 1 and 100 (got {top})")
    ctx = _context(store)
    reg = _region(store, ctx, municipality)
    if reg.kind != "municipality":
        raise InvalidArgument(
            f"{municipality!r} is a {reg.kind}, not a Gemeinde", hint="give a Gemeinde's name or 8-digit AGS"
        )
    pos_arr = ctx.positions([reg.key])
    if len(pos_arr) == 0:
        raise NotFound(f"no Gemeinde with AGS {reg.key}")
    m = int(pos_arr[0])
    mine = ctx.strength.get(m, {})
    total = sum(ctx.idf.get(t, 0.0) * s for t, s in sorted(mine.items()))
    own = set(ctx.projects_at.get(m, []))
    cls = size_class(int(ctx.population[m]))
    rows = []
    for pid in sorted(ctx.projects):
        if pid in own:
            continue
        p = ctx.projects[pid]
        shared = sorted(set(mine) & p.topics)
        topic_score = (sum(ctx.idf.get(t, 0.0) * mine[t] for t in shared) / total) if total > 0 else 0.0
        d = float(ctx.distance_to_project(np.array([m], dtype=np.int64), pid)[0])
        ds = _decay(d, RECOMMEND_HALF_LIFE_KM)
        ss = size_score(int(ctx.population[m]), p.category)
        score = (
            RECOMMEND_WEIGHTS["topic"] * topic_score
            + RECOMMEND_WEIGHTS["distance"] * ds
            + RECOMMEND_WEIGHTS["size"] * ss
        )
        reasons = []
        if not mine:
            reasons.append("no recorded interests or attended events: ranked by distance and size only")
        for t in shared:
            ev = ctx.evidence[m][t]
            kinds = ", ".join(sorted({f"{e.kind} ({e.via})" for e in ev}))
            reasons.append(
                f"shares topic {ctx.topic_labels.get(t, t)!r} (IDF {ctx.idf.get(t, 0):.2f}; evidence: {kinds})"
            )
        if mine and not shared:
            reasons.append("shares none of the municipality's topics")
        reasons.append(f"{d:.1f} km away (distance score {ds:.2f})")
        reasons.append(
            f"size: {SIZE_LABELS[cls]} ({int(ctx.population[m]):,} inhabitants) vs project category "
            f"{p.category} ({SIZE_LABELS.get(p.category, p.category)}): size score {ss:.1f}"
        )
        if p.status:  # an ended project stays in the ranking: its results can still be learned from
            reasons.append(p.status_note())
        rows.append(
            {
                "project_id": pid,
                "name": p.name,
                "round": p.round,
                "category": p.category,
                "score": _round(score),
                "topic_score": _round(topic_score),
                "distance_km": d,
                "distance_score": _round(ds),
                "size_score": ss,
                "shared_topics": shared,
                "reasons": reasons,
                "project_status": p.status,
            }
        )
    if not rows:
        return _empty(RECOMMEND_COLUMNS)
    df = _sorted(pd.DataFrame(rows), ["score", "distance_km", "project_id"], [False, True, True]).head(
        int(top)
    )
    df.insert(0, "rank", range(1, len(df) + 1))
    return df[RECOMMEND_COLUMNS].reset_index(drop=True)
