"""Kreise and Verbände as candidates of ``white_spots``, ``plan_events`` and ``learning_networks``.

A Kreis or Verband with evidence of its own (:class:`lernnetz.graph.analytics.places.Place`)
is a candidate of its own ``level``; its distances are those of its nearest Gemeinde; its
evidence is never spread onto its Gemeinden. These helpers keep that logic out of the
Gemeinde-based algorithms: each analytic calls one of them and appends the rows.
"""

from __future__ import annotations

import math
from typing import Any

from lernnetz.graph.analytics.context import MATCH_HALF_LIFE_KM, _Context, _decay, _evidence_weight, _round
from lernnetz.graph.analytics.places import Place


def interested_places(ctx: _Context, topic: str, *, funded: bool) -> list[Place]:
    """Places with evidence of ``topic``; with ``funded=False`` only those not funded themselves."""
    return [p for p in ctx.places.values() if topic in p.strength and (funded or not p.funded_as)]


def nearest_addressing(ctx: _Context, place: Place, topic: str) -> tuple[float, str]:
    """Distance to and id of the nearest project addressing ``topic`` (inf, '' if none)."""
    best = (math.inf, "")
    for pid in sorted(ctx.projects):
        if topic in ctx.projects[pid].topics:
            best = min(best, (ctx.distance_to_project_from(place.members, pid), pid))
    return best


def white_spot_rows(ctx: _Context, topic: str, radius_km: float) -> list[dict[str, Any]]:
    """White-spot rows of Kreise/Verbände (funded ones included, as for Gemeinden)."""
    rows = []
    for place in interested_places(ctx, topic, funded=True):
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


def network_rows(
    ctx: _Context,
    dist_of: dict[int, float],
    hubs: dict[str, frozenset[str]],
    allowed: frozenset[str] | None,
    radius_km: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Learning-network rows of Kreise/Verbände: each non-funded place with a Gemeinde in the area
    joins the hub it shares the most with (weight as for Gemeinden: Σ IDF·s × decay) among the
    hubs within reach (``hub`` in the row); else it is unassigned with the reason. Places do not
    take part in the community detection and do not count against ``max_size``.
    Returns (member rows, unassigned rows)."""
    members, unassigned = [], []
    for place in ctx.places.values():
        if place.funded_as or not any(p in dist_of for p in place.members.tolist()):
            continue
        mine = [t for t in place.strength if allowed is None or t in allowed]
        if not mine:
            continue
        options = []
        for pid, pts in hubs.items():
            ts = sorted(pts.intersection(mine))
            if ts:
                km = ctx.distance_to_project_from(place.members, pid)
                w = sum(ctx.idf.get(t, 0.0) * place.strength[t] for t in ts) * _decay(km, MATCH_HALF_LIFE_KM)
                options.append((-w, km, pid, ts))
        options.sort()
        fit = [o for o in options if o[1] <= radius_km]
        if not fit:
            reason = (
                f"no project near the region addresses its topics ({', '.join(mine)})"
                if not options
                else f"no project within {radius_km:g} km shares its topics; nearest that does: "
                f"{min(options, key=lambda o: o[1])[2]} at {min(o[1] for o in options):.1f} km"
            )
            unassigned.append({"ags": place.key, "name": place.label, "reason": reason, "level": place.level})
            continue
        _, km, pid, ts = fit[0]
        members.append(
            {"hub": pid, "group_id": 0, "ags": place.key, "name": place.label, "role": "member",
             "distance_km": float(km), "shared_topics": ts, "population": place.population, "funded": False,
             "lat": place.lat, "lon": place.lon, "level": place.level}
        )  # fmt: skip
    return members, unassigned
