"""``recommend``: which projects a municipality should learn from.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lernnetz.graph.analytics.basic import check_radius
from lernnetz.graph.analytics.context import _Context, _context
from lernnetz.graph.analytics.frames import _decay, _empty, _round, _sorted
from lernnetz.graph.analytics.min_evidence import with_min_evidence
from lernnetz.graph.analytics.params import (
    RECOMMEND_COLUMNS,
    RECOMMEND_HALF_LIFE_KM,
    SIZE_CLASSES,
    SIZE_LABELS,
)
from lernnetz.graph.errors import InvalidArgument, NotFound
from lernnetz.graph.regions import resolve_municipality
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- recommend


def size_class(population: int) -> str:
    """GS (≥ 100,000), MS (≥ 20,000) or KL."""
    for code, minimum in SIZE_CLASSES:
        if population >= minimum:
            return code
    return "KL"


def size_similarity(a: int, b: int) -> float:
    """1 − |log10(a / b)| / 2, clipped to [0, 1]: 1 for the same population, 0.5 for a tenfold
    difference, 0 for a hundredfold one (or when either is unknown)."""
    if a <= 0 or b <= 0:
        return 0.0
    return max(0.0, 1.0 - abs(math.log10(a / b)) / 2.0)


def _size(ctx: _Context, m: int, pid: str) -> tuple[float, str]:
    """Size similarity of municipality m and project pid, and the sentence that explains it.

    A project of one Gemeinde (or a city) is compared by its territory's population; an
    inter-municipal or Kreis project (category IK, or a territory of several Gemeinden) by the
    median population of its Gemeinden, since that is the size of the places it works with.
    """
    p = ctx.projects[pid]
    mine = int(ctx.population[m])
    who = f"{ctx.name[m]} has {mine:,} inhabitants ({SIZE_LABELS[size_class(mine)]})"
    if len(p.territory) > 1 or p.category == "IK":
        pops = ctx.population[p.territory]
        typical = int(np.median(pops)) if len(pops) else 0
        sim = size_similarity(mine, typical)
        text = (
            f"size: {who}; {p.name} works across {len(p.territory)} Gemeinden ({p.population:,} inhabitants, "
            f"a typical one {typical:,}): similarity {sim:.2f}"
        )
    else:
        sim = size_similarity(mine, p.population)
        text = (
            f"size: {who}; {p.name} is one Gemeinde of {p.population:,} inhabitants "
            f"({SIZE_LABELS.get(p.category, p.category)}): similarity {sim:.2f}"
        )
    return sim, text


def recommend(
    store: GraphStore,
    municipality: str,
    top: int = 5,
    nearby: int = 3,
    reach_km: float = 50.0,
    min_evidence: str | float | None = None,
) -> pd.DataFrame:
    """Model projects for one municipality to learn from, in two lists, with reasons.

    ``municipality`` is a Gemeinde's name or AGS (a name that also fits a Kreis, such as
    "Neu-Ulm", means the Gemeinde). Projects whose territory contains it are left out.

    **``section == "topics"``**, the first ``top`` (1–100) projects that share at least one of the
    municipality's topics (a project sharing none never appears here):

    * ``topic_score`` = Σ_{t ∈ T(m) ∩ T(p)} IDF(t)·s(m,t) / Σ_{t ∈ T(m)} IDF(t)·s(m,t);
    * ``distance_score`` = 0.5^(d / 50 km), d = distance from m to p's territory (5 km → 0.93,
      200 km → 0.06: an equal project next door outranks a far one fifteenfold);
    * ``size_score`` = :func:`size_similarity` of m's population and the project's (its
      territory's, or for a multi-Gemeinde/Kreis project its typical Gemeinde's);
    * ``score`` = topic_score × distance_score × (0.75 + 0.25·size_score).

    **``section == "nearby"``**, the ``nearby`` (0–20) nearest projects within ``reach_km``
    whatever their topics ("next door, ask them"); ``score`` = distance_score.

    Each list is ordered by score (desc), distance (asc), project id, ranked from 1.
    ``reasons`` says it in words: shared topics with their evidence, distance, size, and for
    an ended project that it ended (it is still recommended: its results can be learned from);
    ``project_status`` is ``ended``/``left`` where a source says so, else ''.
    ``min_evidence`` counts only evidence of that kind or stronger (see
    :mod:`~lernnetz.graph.analytics.min_evidence`).
    """
    if not 1 <= int(top) <= 100:
        raise InvalidArgument(f"top must be between 1 and 100 (got {top})")
    if not 0 <= int(nearby) <= 20:
        raise InvalidArgument(f"nearby must be between 0 and 20 (got {nearby})")
    reach_km = check_radius(reach_km)
    ctx = with_min_evidence(_context(store), min_evidence)
    pos_arr = ctx.positions([resolve_municipality(store, municipality)])
    if len(pos_arr) == 0:
        raise NotFound(f"no Gemeinde {municipality!r} in the register")
    m = int(pos_arr[0])
    mine = ctx.strength.get(m, {})
    total = sum(ctx.idf.get(t, 0.0) * s for t, s in sorted(mine.items()))
    own = set(ctx.projects_at.get(m, []))
    here = np.array([m], dtype=np.int64)
    topic_rows, near_rows = [], []
    for pid in sorted(ctx.projects):
        p = ctx.projects[pid]
        if pid in own or len(p.territory) == 0:
            continue
        d = float(ctx.distance_to_project(here, pid)[0])
        shared = sorted(set(mine) & p.topics)
        if not shared and d > reach_km:
            continue
        ds = _decay(d, RECOMMEND_HALF_LIFE_KM)
        ss, size_text = _size(ctx, m, pid)
        reasons = []
        for t in shared:
            kinds = ", ".join(sorted({f"{e.kind} ({e.via})" for e in ctx.evidence[m][t]}))
            reasons.append(
                f"shares topic {ctx.topic_labels.get(t, t)!r} (IDF {ctx.idf.get(t, 0):.2f}; evidence: {kinds})"
            )
        reasons.append(f"{d:.1f} km away (distance score {ds:.2f})")
        reasons.append(size_text)
        if p.status:  # an ended project stays in the ranking: its results can still be learned from
            reasons.append(p.status_note())
        row = {
            "project_id": pid, "name": p.name, "round": p.round, "category": p.category, "distance_km": d,
            "distance_score": _round(ds), "size_score": _round(ss), "shared_topics": shared,
            "project_status": p.status,
        }  # fmt: skip
        if shared and total > 0:
            ts = sum(ctx.idf.get(t, 0.0) * mine[t] for t in shared) / total
            score = ts * ds * (0.75 + 0.25 * ss)
            topic_rows.append({**row, "section": "topics", "score": _round(score), "topic_score": _round(ts),
                               "reasons": reasons})  # fmt: skip
        if d <= reach_km:
            lead = (
                ["no recorded interests or attended events: listed because it is near"]
                if not mine
                else []
                if shared
                else ["shares none of the municipality's topics: listed because it is near"]
            )
            near_rows.append({**row, "section": "nearby", "score": _round(ds), "topic_score": 0.0,
                              "reasons": lead + reasons})  # fmt: skip
            if shared and total > 0:
                near_rows[-1]["topic_score"] = topic_rows[-1]["topic_score"]
    parts = []
    for rows, n in ((topic_rows, int(top)), (near_rows, int(nearby))):
        if rows and n:
            df = _sorted(
                pd.DataFrame(rows), ["score", "distance_km", "project_id"], [False, True, True]
            ).head(n)
            df.insert(0, "rank", range(1, len(df) + 1))
            parts.append(df)
    if not parts:
        return _empty(RECOMMEND_COLUMNS)
    return pd.concat(parts, ignore_index=True)[RECOMMEND_COLUMNS]
