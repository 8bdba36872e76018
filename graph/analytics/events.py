"""``plan_events``: where the next events on a topic should go (greedy maximum coverage).

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lernnetz.graph.analytics.area import _near, _region
from lernnetz.graph.analytics.basic import check_radius
from lernnetz.graph.analytics.context import _context
from lernnetz.graph.analytics.frames import _empty, _f, _sorted
from lernnetz.graph.analytics.min_evidence import with_min_evidence
from lernnetz.graph.analytics.notes import topic_notes
from lernnetz.graph.analytics.params import COVERAGE_COLUMNS, HOST_COLUMNS, UNCOVERED_COLUMNS, IntArray
from lernnetz.graph.analytics.place_candidates import interested_places
from lernnetz.graph.analytics.white_spots import (
    _interested,
)
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- event planning


@dataclass
class EventPlan:
    """Where to hold events on a topic (see :func:`plan_events`)."""

    hosts: pd.DataFrame
    coverage: pd.DataFrame
    uncovered: pd.DataFrame
    params: dict[str, Any]
    #: When no host is chosen: why, and what would help.
    notes: list[str] = field(default_factory=list)


def plan_events(
    store: GraphStore,
    topic: str,
    k: int,
    radius_km: float,
    region: str | None = None,
    min_evidence: str | float | None = None,
) -> EventPlan:
    """Choose up to ``k`` host projects for events on a topic, maximising how many
    interested non-funded municipalities lie within reach of a host.

    Algorithm: **greedy maximum coverage** (it is within a factor 1 − 1/e ≈ 0.63 of the
    optimum). Hosts are the projects that ADDRESS the topic; a municipality is covered by a
    host when its distance to the host's territory is ≤ ``radius_km``. Each step takes the
    host covering the most not-yet-covered municipalities (ties: more newly covered
    inhabitants, then project id); it stops after ``k`` hosts or when no host adds
    coverage (so fewer than ``k`` hosts can be returned).

    ``hosts``: rank, project_id, name, newly_covered, covered_total, lat/lon of the
    project's lead Gemeinde. ``coverage``: each covered municipality with the host that
    first covered it and the distance to that host. ``uncovered``: the rest, with the
    nearest project addressing the topic (chosen or not) and its distance. Non-funded
    Kreise and Verbände with evidence of their own are units of their own ``level`` (each
    counts once; distance from its nearest Gemeinde). ``notes`` explain an empty plan.

    With ``region``, only the interested municipalities within ``radius_km`` of the region
    count (hosts may lie outside it, within reach of them), and a Kreis or Verband only when
    one of its Gemeinden lies in that area; ``min_evidence`` counts only evidence of that
    kind or stronger (see :mod:`~lernnetz.graph.analytics.min_evidence`).
    """
    radius_km = check_radius(radius_km)
    if not 1 <= int(k) <= 100:
        raise InvalidArgument(f"k must be between 1 and 100 (got {k})")
    ctx = with_min_evidence(_context(store), min_evidence)
    slugs = ctx.topic_args([topic])
    assert slugs is not None
    t = slugs[0]
    pos = _interested(ctx, t)
    pos = pos[~ctx.funded[pos]]
    params: dict[str, Any] = {
        "topic": t,
        "k": int(k),
        "radius_km": radius_km,
        "algorithm": "greedy maximum coverage",
    }
    area: IntArray | None = None
    if region is not None:
        reg = _region(store, ctx, region)
        area = _near(store, ctx, reg, radius_km)[0]
        pos = np.intersect1d(pos, area)
        params["region"] = reg.as_dict()
    params["min_evidence"] = min_evidence
    # the units to cover: interested non-funded Gemeinden, then Kreise/Verbände of their own level
    places = interested_places(ctx, t, funded=False, area=area)
    keys = [str(ctx.ags[p]) for p in pos.tolist()] + [p.key for p in places]
    names = [ctx.name[p] for p in pos.tolist()] + [p.label for p in places]
    levels = ["gemeinde"] * len(pos) + [p.level for p in places]
    pop = np.concatenate([ctx.population[pos], np.array([p.population for p in places], dtype=np.int64)])
    hosts_all = [pid for pid in sorted(ctx.projects) if t in ctx.projects[pid].topics]
    dist = {
        pid: np.concatenate(
            [
                ctx.distance_to_project(pos, pid),
                [ctx.distance_to_project_from(p.members, pid) for p in places],
            ]
        )
        for pid in hosts_all
    }
    covers = {pid: set(np.flatnonzero(dist[pid] <= radius_km).tolist()) for pid in hosts_all}
    covered: dict[int, tuple[str, float]] = {}
    host_rows: list[dict[str, Any]] = []
    for rank in range(1, int(k) + 1):
        chosen = {r["project_id"] for r in host_rows}
        options = []
        for pid in hosts_all:
            if pid in chosen:
                continue
            new = sorted(covers[pid] - covered.keys())
            options.append((-len(new), -int(pop[new].sum()) if new else 0, pid))
        if not options or min(options)[0] == 0:
            break
        best = min(options)
        pid = best[2]
        newly = -best[0]
        for i in sorted(covers[pid] - covered.keys()):
            covered[i] = (pid, float(dist[pid][i]))
        a = ctx.projects[pid].anchor
        host_rows.append(
            {
                "rank": rank,
                "project_id": pid,
                "name": ctx.projects[pid].name,
                "newly_covered": newly,
                "covered_total": len(covered),
                "lat": _f(ctx.lat[a]) if a >= 0 else None,
                "lon": _f(ctx.lon[a]) if a >= 0 else None,
            }
        )
    rank_of = {r["project_id"]: r["rank"] for r in host_rows}
    cov_rows = [
        {"ags": keys[i], "name": names[i], "host_project": pid, "distance_km": km, "level": levels[i]}
        for i, (pid, km) in covered.items()
    ]
    unc_rows = []
    for i in range(len(keys)):
        if i in covered:
            continue
        near = [(float(dist[pid][i]), pid) for pid in hosts_all]
        km, pid = min(near) if near else (math.nan, "")
        unc_rows.append(
            {
                "ags": keys[i],
                "name": names[i],
                "nearest_project": pid,
                "nearest_project_km": km,
                "level": levels[i],
            }
        )
    hosts = pd.DataFrame(host_rows, columns=HOST_COLUMNS) if host_rows else _empty(HOST_COLUMNS)
    if cov_rows:
        coverage = pd.DataFrame(cov_rows, columns=COVERAGE_COLUMNS)
        coverage["_rank"] = coverage["host_project"].map(rank_of)
        coverage = _sorted(coverage, ["_rank", "distance_km", "ags"], [True, True, True])[COVERAGE_COLUMNS]
    else:
        coverage = _empty(COVERAGE_COLUMNS)
    if unc_rows:
        uncovered = pd.DataFrame(unc_rows, columns=UNCOVERED_COLUMNS)
        uncovered["_km"] = uncovered["nearest_project_km"].fillna(math.inf)
        uncovered = _sorted(uncovered, ["_km", "ags"], [True, True])[UNCOVERED_COLUMNS]
    else:
        uncovered = _empty(UNCOVERED_COLUMNS)
    params["interested_non_funded"] = len(keys)
    params["hosts_addressing_topic"] = len(hosts_all)
    notes = (
        topic_notes(
            ctx,
            "plan events for",
            t,
            radius_km,
            interested=len(keys),
            hosts=len(hosts_all),
            min_evidence=min_evidence,
        )
        if hosts.empty
        else []
    )
    return EventPlan(hosts, coverage, uncovered, params, notes)
