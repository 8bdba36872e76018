"""Kreise and Verbände as candidates of ``white_spots``, ``plan_events`` and ``learning_networks``.

A Kreis or Verband with evidence of its own (:class:`lernnetz.graph.analytics.places.Place`)
is a candidate of its own ``level``; its distances are those of its nearest Gemeinde; its
evidence is never spread onto its Gemeinden. These helpers keep that logic out of the
Gemeinde-based algorithms: each analytic calls one of them and appends the rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lernnetz.graph.analytics.context import _Context
from lernnetz.graph.analytics.frames import _decay, _round, _rows
from lernnetz.graph.analytics.params import MATCH_HALF_LIFE_KM, IntArray, _evidence_weight
from lernnetz.graph.analytics.places import Place
from lernnetz.graph.geo import haversine_km

if TYPE_CHECKING:  # only in annotations: matches and white spots never import NetworkX
    import networkx as nx


def interested_places(
    ctx: _Context, topic: str, *, funded: bool, area: IntArray | None = None
) -> list[Place]:
    """Places with evidence of ``topic``; with ``funded=False`` only those not funded themselves;
    with ``area`` (Gemeinde positions, a ``region`` filter) only those with a Gemeinde in it."""
    return [
        p
        for p in ctx.places.values()
        if topic in p.strength and (funded or not p.funded_as) and (area is None or in_area(p, area))
    ]


def in_area(place: Place, area: IntArray) -> bool:
    """Whether one of the place's located Gemeinden is among the ``area`` positions."""
    return bool(np.isin(place.members, area).any())


def nearest_addressing(ctx: _Context, place: Place, topic: str) -> tuple[float, str]:
    """Distance to and id of the nearest project addressing ``topic`` (inf, '' if none)."""
    best = (math.inf, "")
    for pid in sorted(ctx.projects):
        if topic in ctx.projects[pid].topics:
            best = min(best, (ctx.distance_to_project_from(place.members, pid), pid))
    return best


def white_spot_rows(
    ctx: _Context, topic: str, radius_km: float, area: IntArray | None = None
) -> list[dict[str, Any]]:
    """White-spot rows of Kreise/Verbände (funded ones included, as for Gemeinden); with
    ``area`` only those with a Gemeinde in it."""
    rows = []
    for place in interested_places(ctx, topic, funded=True, area=area):
        km, pid = nearest_addressing(ctx, place, topic)
        if km <= radius_km:
            continue
        row = ctx.place_row(place)
        row.update(
            interest_weight=_round(
                sum(_evidence_weight(e.kind, e.weight, e.via) for e in place.evidence[topic])
            ),
            nearest_project=pid,
            nearest_project_km=km if math.isfinite(km) else math.nan,
        )
        rows.append(row)
    return rows


def network_options(
    ctx: _Context, place: Place, hubs: dict[str, frozenset[str]], allowed: frozenset[str] | None
) -> list[tuple[float, float, str, str]]:
    """A place's (hub, topic) options, best first: ``(-IDF(t)·s(p,t)·decay(km), km, hub, topic)``,
    km from its nearest Gemeinde to the hub's territory (the Gemeinden's score, as in ``_options``)."""
    mine = frozenset(t for t in place.strength if allowed is None or t in allowed)
    options = []
    for pid in sorted(hubs):
        ts = sorted(hubs[pid] & mine)
        if ts:
            km = ctx.distance_to_project_from(place.members, pid)
            decay = _decay(km, MATCH_HALF_LIFE_KM)
            options += [(-round(ctx.idf.get(t, 0.0) * place.strength[t] * decay, 9), km, pid, t) for t in ts]
    return sorted(options)


def _unplaced(ctx: _Context, place: Place, topics: list[str], radius_km: float) -> dict[str, Any]:
    """The unassigned row of a place without an option within reach (reasons as for Gemeinden)."""
    best = (math.inf, "")
    for pid in sorted(ctx.projects):
        if len(ctx.projects[pid].territory) and ctx.projects[pid].topics.intersection(topics):
            best = min(best, (ctx.distance_to_project_from(place.members, pid), pid))
    km, pid = best
    if pid:
        code = "no-project-within-reach"
        reason = (
            f"no project within {radius_km:g} km shares its topics; nearest that does: {pid} at {km:.1f} km"
        )
    else:
        code, reason = (
            "no-project-addresses-topics",
            f"no model project addresses its topics ({', '.join(topics)})",
        )
    return {
        "ags": place.key,
        "name": place.label,
        "reason_code": code,
        "reason": reason,
        "level": place.level,
    }


def _spots(ctx: _Context, key: str) -> IntArray:
    """Positions standing for a group member: a Gemeinde's own, a Kreis's or Verband's Gemeinden."""
    place = ctx.places.get(key)
    return place.members if place is not None else np.array([ctx.pos_of[key]], dtype=np.int64)


def _gap(ctx: _Context, a: IntArray, b: IntArray) -> float:
    """Distance between two members: the nearest pair of their Gemeinden."""
    if len(a) == 0 or len(b) == 0:
        return math.inf
    d = haversine_km(ctx.lat[a][:, None], ctx.lon[a][:, None], ctx.lat[b][None, :], ctx.lon[b][None, :])
    return float(np.min(d))


def join_places(
    ctx: _Context,
    dist_of: dict[int, float],
    hubs: dict[str, frozenset[str]],
    allowed: frozenset[str] | None,
    radius_km: float,
    sizes: tuple[int, int],
    tables: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]],
    hub_row: Callable[[int, str, list[str]], dict[str, Any]],
) -> dict[tuple[str, str], tuple[float, float, list[str]]]:
    """Kreise/Verbände as learning-network candidates (rules in ``learning_networks``' docstring).

    Every non-funded place with a Gemeinde in the area (``dist_of``) and a topic takes its best
    (hub, topic) option within ``radius_km`` and joins the first group of that hub and topic (a
    mixed-topic group of the hub that covers the topic also fits) that has room below
    ``max_size`` and whose members all lie within ``radius_km`` of it (nearest Gemeinden),
    nearest first; else it starts a group of places. A group of places that stays below
    ``min_size`` is dissolved: its places are unassigned (``below-minimum``). ``sizes`` is
    (min_size, max_size); ``tables`` the (group, member, unassigned) rows, extended in place.
    Returns (place key, hub) → (weight, km, topics) for the graph.
    """
    min_size, max_size = sizes
    group_rows, member_rows, unassigned_rows = tables
    fresh: list[dict[str, Any]] = []  # groups of places only, numbered once they are kept
    joined: list[tuple[dict[str, Any], Place, float, float, str, list[str]]] = []
    for place in ctx.places.values():
        if place.funded_as or not any(p in dist_of for p in place.members.tolist()):
            continue
        mine = [t for t in place.strength if allowed is None or t in allowed]
        if not mine:
            continue
        fit = [o for o in network_options(ctx, place, hubs, allowed) if o[1] <= radius_km]
        if not fit:
            unassigned_rows.append(_unplaced(ctx, place, mine, radius_km))
            continue
        score, km, pid, t = fit[0]
        best: tuple[float, int] | None = None
        for n, g in enumerate(group_rows + fresh):
            if g["hub_project"] != pid or not (g["topic"] == t or (not g["topic"] and t in g["topics"])):
                continue
            if g["size"] >= max_size:
                continue
            gap = max((_gap(ctx, place.members, _spots(ctx, a)) for a in g["members"]), default=0.0)
            if gap <= radius_km and (best is None or (gap, n) < best):
                best = (gap, n)
        if best is None:
            fresh.append({"group_id": 0, "hub_project": pid, "hub_name": ctx.projects[pid].name, "topic": t,
                          "topics": [t], "size": 0, "members": [], "evidence": 0.0, "max_member_km": 0.0,
                          "max_hub_km": 0.0})  # fmt: skip
            best = (0.0, len(group_rows) + len(fresh) - 1)
        g = (group_rows + fresh)[best[1]]
        ts = [t] if g["topic"] else sorted(hubs[pid].intersection(mine))
        g.update(
            members=[*g["members"], place.key],
            size=g["size"] + 1,
            evidence=round(g["evidence"] + place.strength[t], 6),
            max_member_km=round(max(g["max_member_km"], best[0]), 3),
            max_hub_km=round(max(g["max_hub_km"], km), 3),
        )
        joined.append((g, place, -score, km, t, ts))
    gid = max((g["group_id"] for g in group_rows), default=0)
    for g in fresh:
        if g["size"] >= min_size:
            gid += 1
            g["group_id"] = gid
            group_rows.append(g)
            member_rows.append(hub_row(gid, g["hub_project"], [g["topic"]]))
    pair: dict[tuple[str, str], tuple[float, float, list[str]]] = {}
    for g, place, w, km, t, ts in joined:
        if not g["group_id"]:  # a group of places below the minimum
            what = f"{ctx.topic_labels.get(t, t)!r} with {g['hub_name']} ({km:.1f} km)"
            reason = (f"its best match, {what}, would gather only {g['size']} place(s), fewer than the "
                      f"minimum group size {min_size}")  # fmt: skip
            unassigned_rows.append({"ags": place.key, "name": place.label, "reason_code": "below-minimum",
                                    "reason": reason, "level": place.level})  # fmt: skip
            continue
        member_rows.append(
            {"group_id": g["group_id"], "ags": place.key, "name": place.label, "role": "member",
             "distance_km": float(km), "shared_topics": ts, "population": place.population, "funded": False,
             "lat": place.lat, "lon": place.lon, "level": place.level}
        )  # fmt: skip
        pair[(place.key, g["hub_project"])] = (w, km, ts)
    return pair


def add_place_nodes(
    ctx: _Context,
    G: nx.Graph,
    groups: pd.DataFrame,
    pair: dict[tuple[str, str], tuple[float, float, list[str]]],
) -> nx.Graph:
    """The Kreis/Verband members of the groups as ``candidate`` nodes ``kreis:<key>`` /
    ``verband:<key>`` (at their most populous Gemeinde), each linked to its hub's project node."""
    for g in _rows(groups):
        for key in g.members:
            place = ctx.places.get(str(key))
            if place is None:
                continue
            w, km, ts = pair[(place.key, str(g.hub_project))]
            lines = [f"{place.label} ({place.key}), {place.district}, {place.state}",
                     f"population {place.population:,}; not funded"]  # fmt: skip
            for t in ts:
                lines += [
                    f"{ctx.topic_labels.get(t, t)}: {e.via} {e.kind} {e.date} (source: {e.source})"
                    for e in place.evidence.get(t, [])
                ]
            node = f"{place.level}:{place.key}"
            G.add_node(node, kind="candidate", label=place.label, lat=place.lat, lon=place.lon,
                       population=place.population, group=int(g.group_id), level=place.level,
                       title="\n".join(lines))  # fmt: skip
            G.add_edge(node, f"project:{g.hub_project}", kind="member", weight=round(float(w), 6),
                       label=f"{', '.join(ctx.topic_labels.get(t, t) for t in ts)} · {km:.1f} km",
                       distance_km=round(float(km), 3))  # fmt: skip
    return G
