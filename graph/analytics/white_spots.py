"""``white_spots``: places with a topic and no project addressing it within reach.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lernnetz.graph.analytics.area import _near, _region
from lernnetz.graph.analytics.basic import check_radius
from lernnetz.graph.analytics.context import _Context, _context
from lernnetz.graph.analytics.frames import _empty, _round, _sorted
from lernnetz.graph.analytics.min_evidence import with_min_evidence
from lernnetz.graph.analytics.notes import topic_notes
from lernnetz.graph.analytics.params import (
    WHITE_SPOT_COLUMNS,
    WHITE_SPOT_DISTRICT_COLUMNS,
    FloatArray,
    IntArray,
    _evidence_weight,
)
from lernnetz.graph.analytics.place_candidates import white_spot_rows
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- white spots


def _interested(ctx: _Context, topic: str) -> IntArray:
    return np.flatnonzero(ctx.has_topic.get(topic, np.zeros(len(ctx.ags), dtype=bool))).astype(np.int64)


def _nearest_addressing(ctx: _Context, pos: IntArray, topic: str) -> tuple[FloatArray, list[str]]:
    """Distance to and id of the nearest project addressing the topic, for each position."""
    best = np.full(len(pos), np.inf)
    who = [""] * len(pos)
    for pid in sorted(ctx.projects):
        if topic not in ctx.projects[pid].topics:
            continue
        d = ctx.distance_to_project(pos, pid)
        better = d < best
        best = np.where(better, d, best)
        for i in np.flatnonzero(better).tolist():
            who[i] = pid
    return best, who


def white_spots(
    store: GraphStore,
    topic: str,
    radius_km: float,
    region: str | None = None,
    min_evidence: str | float | None = None,
) -> pd.DataFrame:
    """Municipalities interested in a topic with no project addressing it within reach.

    A municipality is listed when it has the topic (interest or attended event's focus)
    and every project that ADDRESSES the topic has its territory more than ``radius_km``
    away (or no project addresses it at all: then ``nearest_project`` is empty and
    ``nearest_project_km`` NaN). Funded municipalities are included (their own project
    may not address the topic). ``interest_weight`` is the sum of the evidence weights for
    the topic. Kreise and Verbände with evidence of their own are rows of their own
    ``level`` (distance from their nearest Gemeinde). With ``region`` (resolved like every
    region), only municipalities within ``radius_km`` of the region count (the same area as
    ``matches``), and a Kreis or Verband only when one of its Gemeinden lies in that area;
    ``min_evidence`` counts only evidence of that kind or stronger (for Kreise and Verbände
    too). Ordered by interest_weight (desc), nearest_project_km (desc), key. An empty answer
    carries ``df.attrs["notes"]``.
    """
    radius_km = check_radius(radius_km)
    ctx = with_min_evidence(_context(store), min_evidence)
    slugs = ctx.topic_args([topic])
    assert slugs is not None
    t = slugs[0]
    pos = _interested(ctx, t)
    area: IntArray | None = None
    if region is not None:
        area = _near(store, ctx, _region(store, ctx, region), radius_km)[0]
        pos = np.intersect1d(pos, area)
    best, who = _nearest_addressing(ctx, pos, t)
    rows = []
    for i, p in enumerate(pos.tolist()):
        if best[i] <= radius_km:
            continue
        row = ctx.row(p)
        weight = sum(_evidence_weight(e.kind, e.weight, e.via) for e in ctx.evidence[p][t])
        row.update(
            interest_weight=_round(weight),
            nearest_project=who[i],
            nearest_project_km=float(best[i]) if math.isfinite(best[i]) else math.nan,
        )
        rows.append(row)
    places = white_spot_rows(ctx, t, radius_km, area)  # Kreise/Verbände with evidence of their own
    rows += places
    if not rows:
        df = _empty(WHITE_SPOT_COLUMNS)
        df.attrs["notes"] = topic_notes(
            ctx, "report", t, radius_km, interested=len(pos) + len(places), hosts=0, min_evidence=min_evidence
        )
        return df
    df = pd.DataFrame(rows)
    df["_km"] = df["nearest_project_km"].fillna(math.inf)
    df = _sorted(df, ["interest_weight", "_km", "ags"], [False, False, True])
    return df[WHITE_SPOT_COLUMNS]


def white_spots_by_district(
    store: GraphStore,
    topic: str,
    radius_km: float,
    region: str | None = None,
    min_evidence: str | float | None = None,
) -> pd.DataFrame:
    """:func:`white_spots` aggregated per Kreis: how many white-spot municipalities and their
    population. Ordered by municipalities (desc), population (desc), Kreis key."""
    spots = white_spots(store, topic, radius_km, region=region, min_evidence=min_evidence)
    spots = spots[spots["level"] == "gemeinde"]  # Kreis/Verband rows are their own places
    if spots.empty:
        return _empty(WHITE_SPOT_DISTRICT_COLUMNS)
    ctx = _context(store)
    pos = ctx.positions(spots["ags"])
    df = pd.DataFrame(
        {
            "district_key": [ctx.district_key[p] for p in pos.tolist()],
            "district": [ctx.district[p] for p in pos.tolist()],
            "state": [ctx.state[p] for p in pos.tolist()],
            "population": spots["population"].astype(int).to_numpy(),
        }
    )
    agg = (
        df.groupby(["district_key", "district", "state"], as_index=False)
        .agg(municipalities=("population", "size"), population=("population", "sum"))
        .astype({"municipalities": int, "population": int})
    )
    return _sorted(agg, ["municipalities", "population", "district_key"], [False, False, True])[
        WHITE_SPOT_DISTRICT_COLUMNS
    ]
