"""``learning_networks``: regional learning networks around hub projects.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd

from lernnetz.graph.analytics.area import _near, _projects_all, _projects_near, _region
from lernnetz.graph.analytics.basic import check_radius
from lernnetz.graph.analytics.context import _Context, _context
from lernnetz.graph.analytics.frames import _empty, _f
from lernnetz.graph.analytics.grouping import (
    MIXED,
    Failure,
    Grouping,
    GroupingCache,
    Option,
    group_candidates,
)
from lernnetz.graph.analytics.min_evidence import with_min_evidence
from lernnetz.graph.analytics.network_graph import network_graph
from lernnetz.graph.analytics.notes import network_notes
from lernnetz.graph.analytics.params import (
    GROUP_COLUMNS,
    MATCH_HALF_LIFE_KM,
    MEMBER_COLUMNS,
    STABILITY_SEEDS,
    UNASSIGNED_COLUMNS,
    FloatArray,
    IntArray,
)
from lernnetz.graph.analytics.place_candidates import add_place_nodes, join_places
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.geo import SpatialIndex, haversine_km
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- learning networks


@dataclass
class LearningNetworks:
    """Proposed learning networks (see :func:`learning_networks`)."""

    groups: pd.DataFrame
    members: pd.DataFrame
    unassigned: pd.DataFrame
    stability: float
    params: dict[str, Any]
    _graph: nx.Graph | None = field(default=None, repr=False, compare=False)
    _build: Callable[[], nx.Graph] | None = field(default=None, repr=False, compare=False)
    #: When no group is proposed: why, and what would help.
    notes: list[str] = field(default_factory=list)

    @property
    def graph(self) -> nx.Graph:
        """The proposal's graph, built on first use (tables alone do not pay for it)."""
        if self._graph is None:
            self._graph = self._build() if self._build is not None else nx.Graph()
            self._build = None
        return self._graph

    def to_graph(self) -> nx.Graph:
        """A NetworkX graph of the proposal: nodes with ``kind`` (project — one node per hub,
        standing for its whole territory —, candidate, topic, event), ``label``, ``lat``, ``lon``,
        ``population``, ``title`` (tooltip with sources) and ``group``; edges with ``label``
        (shared topics and distance) and ``kind``."""
        return self.graph.copy()


def learning_networks(
    store: GraphStore,
    region: str,
    topic: str | None = None,
    radius_km: float = 50.0,
    max_size: int = 12,
    seed: int = 42,
    min_size: int = 3,
    min_evidence: str | float | None = None,
) -> LearningNetworks:
    """Propose regional learning networks: groups of non-funded municipalities around a hub
    project, on one topic, near the hub and near each other.

    * **Candidates**: the non-funded municipalities within ``radius_km`` of the region that
      have a topic (``topic`` if given; evidence of at least ``min_evidence``, see
      :mod:`~lernnetz.graph.analytics.min_evidence`).
    * **Hubs**: projects whose territory lies within ``radius_km`` of the region and that
      address a topic of some candidate (``topic`` if given).
    * **Options** of candidate c: every (hub h, topic t) with t addressed by h and in c's
      topics, and c's distance to h's territory ≤ ``radius_km``; score
      IDF(t)·s(c,t)·0.5^(d/30 km).
    * **Objective**: maximise Σ over placed candidates of s(c, t_g) (evidence-weighted
      coverage) subject to one group per candidate, one hub and one topic per group, every
      member within ``radius_km`` of the hub's territory and of every other member, and
      ``min_size`` ≤ size ≤ ``max_size``. A hub can lead several groups (one per topic, and
      several per topic when its candidates are too many or too far apart). The heuristic
      (greedy pools, balanced spatial bisection, repair) is in
      :mod:`~lernnetz.graph.analytics.grouping`; ``benchmarks/bench_networks.py`` compares it
      with the nearest-hub baseline.
    * **Unassigned** candidates carry ``reason_code`` and a concrete ``reason``:
      ``no-project-addresses-topics`` (no model project anywhere does), ``no-project-within-reach``
      (the nearest project anywhere sharing a topic named, with its distance), ``below-minimum`` (its best option would gather fewer than ``min_size``) or
      ``spread`` (the option's candidates are too far apart to form a group with it).
    * **Kreise and Verbände** with evidence of their own (other-programme rows naming them) are
      candidates of their own ``level`` when one of their Gemeinden lies in the area and they are
      not funded themselves. They join after the grouping above (and are not in the ``params``
      counts): each takes its best (hub, topic) option within reach (distances from its nearest
      Gemeinde) and joins a group of that hub and topic with room below ``max_size`` whose
      members are all within ``radius_km`` of it, else a group of places, numbered after the
      others and kept only when it reaches ``min_size`` (else ``below-minimum``); without an
      option a place is unassigned with the same reason codes. Their rows carry ``level``
      verband/kreis and their key in ``ags``.
    * **Stability**: the mean adjusted Rand index between the groups with ``seed`` and those
      with the next 9 seeds (the seed only picks the first centre of a spatial split).

    ``groups``: one row per group with the ``topic``, ``evidence`` (Σ s(c, topic)),
    ``max_member_km`` (largest member-to-member distance) and ``max_hub_km`` (largest
    member-to-hub-territory distance), both ≤ ``radius_km``. ``members``: per group one
    ``hub`` row (the project, at its lead Gemeinde) and one ``member`` row per member.
    Groups are ordered by size (desc), hub id, topic, first member; ``group_id`` counts from 1.
    The same input in any row order gives the same answer. A ``min_size`` above ``max_size``
    is capped at ``max_size`` (``params["min_size"]`` holds the one used). Without a group,
    ``notes`` say why and what would help.
    """
    radius_km = check_radius(radius_km)
    if not 1 <= int(max_size) <= 200:
        raise InvalidArgument(f"max_size must be between 1 and 200 (got {max_size})")
    if not 1 <= int(min_size) <= 200:
        raise InvalidArgument(f"min_size must be between 1 and 200 (got {min_size})")
    # a minimum above the maximum is capped at it (max_size=2 with the default minimum 3 works)
    max_size, min_size, seed = int(max_size), min(int(min_size), int(max_size)), int(seed)
    ctx = with_min_evidence(_context(store), min_evidence)
    reg = _region(store, ctx, region)
    wanted = ctx.topic_args([topic]) if topic is not None else None
    allowed = frozenset(wanted) if wanted is not None else None
    pos, near_km = _near(store, ctx, reg, radius_km)
    keep = ~ctx.funded[pos] & ctx.mask(wanted)[pos]
    cand_arr = np.sort(pos[keep])
    cands = cand_arr.tolist()
    hubs = {
        pid: (ctx.projects[pid].topics if allowed is None else ctx.projects[pid].topics & allowed)
        for pid in _projects_near(ctx, pos)
    }
    hubs = {pid: ts for pid, ts in hubs.items() if ts}
    params: dict[str, Any] = {
        "region": reg.as_dict(),
        "topic": wanted[0] if wanted else None,
        "radius_km": radius_km,
        "reach_km": radius_km,
        "max_size": max_size,
        "min_size": min_size,
        "min_evidence": min_evidence,
        "seed": seed,
        "stability_seeds": list(range(seed, seed + STABILITY_SEEDS)),
        "algorithm": "greedy (hub, topic) pools by IDF × evidence × distance decay, pools below the minimum "
        "dissolved smallest first; balanced spatial bisection to max_size and the reach; repair of small parts",
        "objective": "maximise Σ evidence strength of placed candidates for their group's topic, subject to "
        "min_size ≤ size ≤ max_size, one hub and one topic per group, members within reach of the hub and of each other",
        "attribution": ctx.attribution,
    }
    cand_topics = {c: ctx.topics_of(c, allowed) for c in cands}

    options, shared = _options(ctx, cand_arr, hubs, radius_km)

    cache = GroupingCache()

    def run(s: int) -> Grouping:
        return group_candidates(
            options,
            ctx.lat,
            ctx.lon,
            reach_km=radius_km,
            max_size=max_size,
            min_size=min_size,
            seed=s,
            cache=cache,
        )

    grouping = run(seed)
    reach = sorted(options)
    others = [run(s).labels(reach) for s in params["stability_seeds"][1:]]
    stability = _stability(grouping.labels(reach), others)

    group_rows, member_rows, pair_of = _tables(ctx, grouping, options, shared)
    unassigned_rows = []
    for c in cands:
        if c in grouping.failures:
            code, reason = _failure_reason(ctx, grouping.failures[c], radius_km, min_size)
        elif c in options:
            continue
        else:
            km, pid = _nearest_sharing(ctx, c, cand_topics[c])
            if pid:
                code = "no-project-within-reach"
                reason = (
                    f"no project within {radius_km:g} km shares its topics; nearest that does: "
                    f"{pid} at {km:.1f} km"
                )
            else:
                code = "no-project-addresses-topics"
                reason = "no model project addresses its topics (" + ", ".join(cand_topics[c]) + ")"
        unassigned_rows.append(
            {
                "ags": str(ctx.ags[c]),
                "name": ctx.name[c],
                "reason_code": code,
                "reason": reason,
                "level": "gemeinde",
            }
        )
    placed = sum(len(g["members"]) for g in group_rows)
    params.update(
        candidates=len(cands),
        candidates_within_reach=len(options),
        placed=placed,
        coverage=round(placed / len(options), 4) if options else 1.0,
        objective_value=round(sum(g["evidence"] for g in group_rows), 6),
    )
    # Kreise and Verbände with evidence of their own: candidates of their own level that join a group
    # at their best hub (after the Gemeinden are grouped; the figures above count Gemeinden only)
    place_pair = join_places(
        ctx, dict(zip(pos.tolist(), near_km.tolist(), strict=True)), hubs, allowed, radius_km,
        (min_size, max_size), (group_rows, member_rows, unassigned_rows),
        lambda gid, pid, ts: _hub_row(ctx, gid, pid, ts),
    )  # fmt: skip

    groups = pd.DataFrame(group_rows, columns=GROUP_COLUMNS) if group_rows else _empty(GROUP_COLUMNS)
    members_df = pd.DataFrame(member_rows, columns=MEMBER_COLUMNS) if member_rows else _empty(MEMBER_COLUMNS)
    unassigned = (
        pd.DataFrame(unassigned_rows, columns=UNASSIGNED_COLUMNS)
        if unassigned_rows
        else _empty(UNASSIGNED_COLUMNS)
    )
    result = LearningNetworks(groups, members_df, unassigned, stability, params)
    result._build = lambda: add_place_nodes(
        ctx, network_graph(ctx, result, pair_of), result.groups, place_pair
    )
    if groups.empty:
        codes = [str(c) for c in unassigned["reason_code"]]
        result.notes = network_notes(ctx, reg.name, radius_km, codes, bool(hubs), min_evidence)
    return result


def _options(
    ctx: _Context, cand_arr: IntArray, hubs: dict[str, frozenset[str]], radius_km: float
) -> tuple[dict[int, list[Option]], dict[tuple[int, str], list[str]]]:
    """Every candidate's options, best first (one-topic ones, then the mixed-topic fallbacks), the
    topics each (candidate, hub) pair shares."""
    options: dict[int, list[Option]] = defaultdict(list)
    shared: dict[tuple[int, str], list[str]] = {}
    cands = cand_arr.tolist()
    strength: dict[str, FloatArray] = {}
    for pid in sorted(hubs):
        pts = sorted(hubs[pid])
        sel = np.flatnonzero(ctx.mask(pts)[cand_arr])
        if len(sel) == 0:
            continue
        d = _distance_to_territory(ctx, cand_arr[sel], pid)
        inr = d <= radius_km
        sel, d = sel[inr], d[inr]
        if len(sel) == 0:
            continue
        decay = 0.5 ** (d / MATCH_HALF_LIFE_KM)
        has = np.zeros((len(sel), len(pts)), dtype=bool)
        st = np.zeros((len(sel), len(pts)))
        for j, t in enumerate(pts):
            if t not in strength:
                strength[t] = np.array([ctx.strength[c].get(t, 0.0) for c in cands])
            has[:, j] = ctx.has_topic[t][cand_arr[sel]] if t in ctx.has_topic else False
            st[:, j] = strength[t][sel]
        idf = np.array([ctx.idf.get(t, 0.0) for t in pts])
        score = np.where(has, -np.round(st * idf[None, :] * decay[:, None], 9), np.inf)
        top = np.argmin(score, axis=1)  # ties: the first topic (sorted)
        rows, cols = np.nonzero(has)
        km_l, sel_l = d.tolist(), sel.tolist()
        sc_v, st_v = score[rows, cols].tolist(), st[rows, cols].tolist()
        for r, j, sc, sv in zip(rows.tolist(), cols.tolist(), sc_v, st_v, strict=True):
            c = cands[sel_l[r]]
            options[c].append((sc, km_l[r], pid, pts[j], sv))
            shared.setdefault((c, pid), []).append(pts[j])
        every = np.arange(len(sel))
        for r, sc, sv in zip(
            every.tolist(), score[every, top].tolist(), st[every, top].tolist(), strict=True
        ):
            # the fallback: a mixed-topic group at this hub, tried after every one-topic group
            options[cands[sel_l[r]]].append((sc, km_l[r], pid, MIXED, sv))
    for lst in options.values():
        lst.sort(key=lambda o: (o[3] == MIXED, o))
    return dict(options), shared


def _nearest_sharing(ctx: _Context, c: int, topics: list[str]) -> tuple[float, str]:
    """The nearest project anywhere that addresses one of the topics (``(inf, "")`` if none does)."""
    best = (math.inf, "")
    here = np.array([c], dtype=np.int64)
    for pid in _projects_all(ctx):
        if ctx.projects[pid].topics.intersection(topics):
            best = min(best, (float(ctx.distance_to_project(here, pid)[0]), pid))
    return best


def _distance_to_territory(ctx: _Context, pos: IntArray, pid: str) -> FloatArray:
    """Like ``ctx.distance_to_project``, through a k-d tree over the territory (same haversine)."""
    p = ctx.projects[pid]
    if len(p.territory) <= 16:
        return ctx.distance_to_project(pos, pid)
    d, _ = SpatialIndex(p.lat, p.lon).query(ctx.lat[pos], ctx.lon[pos])
    out = np.asarray(d, dtype=np.float64)
    out[np.isin(pos, p.territory)] = 0.0
    return out


def _tables(
    ctx: _Context,
    grouping: Grouping,
    options: dict[int, list[Option]],
    shared: dict[tuple[int, str], list[str]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[tuple[int, str], tuple[float, float, list[str]]]]:
    opt = {(c, o[2], o[3]): o for c, lst in options.items() for o in lst}
    ordered = sorted(grouping.groups, key=lambda g: (-len(g[2]), g[0], g[1], str(ctx.ags[g[2][0]])))
    group_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    pair_of: dict[tuple[int, str], tuple[float, float, list[str]]] = {}
    for gid, (h, t, ms) in enumerate(ordered, start=1):
        members = sorted(ms, key=lambda c: (opt[(c, h, t)][0], str(ctx.ags[c])))
        union = sorted({x for c in members for x in shared[(c, h)]}) if t == MIXED else [t]
        arr = np.array(members, dtype=np.int64)
        la, lo = ctx.lat[arr], ctx.lon[arr]
        spread = float(haversine_km(la[:, None], lo[:, None], la[None, :], lo[None, :]).max())
        p = ctx.projects[h]
        group_rows.append(
            {
                "group_id": gid,
                "hub_project": h,
                "hub_name": p.name,
                "topic": t if t != MIXED else (union[0] if len(union) == 1 else ""),
                "topics": union,
                "size": len(members),
                "members": [str(ctx.ags[c]) for c in members],
                "evidence": round(sum(opt[(c, h, t)][4] for c in members), 6),
                "max_member_km": round(spread, 3),
                "max_hub_km": round(max(opt[(c, h, t)][1] for c in members), 3),
            }
        )
        member_rows.append(_hub_row(ctx, gid, h, group_rows[-1]["topics"]))
        for c in members:
            o = opt[(c, h, t)]
            ts = shared[(c, h)] if t == MIXED else [t]
            member_rows.append(_member_row(ctx, gid, c, "member", o[1], ts))
            pair_of[(c, h)] = (-o[0], o[1], ts)
    return group_rows, member_rows, pair_of


def _hub_row(ctx: _Context, gid: int, pid: str, topics: list[str]) -> dict[str, Any]:
    """A group's hub: one row for the project, at its lead Gemeinde."""
    p = ctx.projects[pid]
    a = p.anchor
    return {
        "group_id": gid, "ags": str(ctx.ags[a]), "name": p.name, "role": "hub", "distance_km": 0.0,
        "shared_topics": topics, "population": int(p.population), "funded": True,
        "lat": _f(ctx.lat[a]), "lon": _f(ctx.lon[a]), "level": "gemeinde",
    }  # fmt: skip


def _failure_reason(
    ctx: _Context, failures: list[Failure], radius_km: float, min_size: int
) -> tuple[str, str]:
    f = failures[0]
    label = "several topics" if f.topic == MIXED else repr(ctx.topic_labels.get(f.topic, f.topic))
    what = f"{label} with {ctx.projects[f.hub].name} ({f.km:.1f} km)"
    if f.code == "below-minimum":
        text = (
            f"its best match, {what}, would gather only {f.pool_size} candidate(s), fewer than the "
            f"minimum group size {min_size}"
        )
    else:
        text = (
            f"its best match, {what}, has {f.pool_size} candidates, but no group of at least {min_size} "
            f"within {radius_km:g} km of each other could take it"
        )
    if len(failures) > 1:
        text += f"; its {len(failures) - 1} other option(s) within {radius_km:g} km formed no group with it either"
    return f.code, text


def _member_row(ctx: _Context, gid: int, pos: int, role: str, km: float, topics: list[str]) -> dict[str, Any]:
    return {
        "group_id": gid,
        "ags": str(ctx.ags[pos]),
        "name": ctx.name[pos],
        "role": role,
        "distance_km": float(km),
        "shared_topics": list(topics),
        "population": int(ctx.population[pos]),
        "funded": bool(ctx.funded[pos]),
        "lat": _f(ctx.lat[pos]),
        "lon": _f(ctx.lon[pos]),
        "level": "gemeinde",
    }


def _stability(base: list[str], others: list[list[str]]) -> float:
    if len(base) < 2 or not others:
        return 1.0
    scores = [adjusted_rand_index(base, o) for o in others]
    return round(float(np.mean(scores)), 4)


def adjusted_rand_index(a: Sequence[str], b: Sequence[str]) -> float:
    """Adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985): 1 for
    identical partitions, about 0 for chance agreement."""
    _, ai = np.unique(np.asarray(a), return_inverse=True)
    _, bi = np.unique(np.asarray(b), return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)

    def pairs(x: npt.NDArray[np.int64]) -> float:
        return float((x * (x - 1) // 2).sum())

    n = len(ai)
    index, rows, cols = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2)
    best = (rows + cols) / 2
    if best == expected:  # both partitions trivial (one cluster, or all singletons)
        return 1.0
    return (index - expected) / (best - expected)
