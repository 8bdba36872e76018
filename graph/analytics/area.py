"""The area of a question: its region resolved once per context (:func:`_region`), the Gemeinden
within its radius from the context's own spatial index (:func:`_near`, the last areas kept), and the
projects considered there (:func:`_projects_near`, :func:`_projects_all`). Shared by the analytics
that ask "near a region"; the context itself is in :mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import numpy as np

from lernnetz.graph.analytics.context import _LOCK, _Context
from lernnetz.graph.analytics.params import FloatArray, IntArray
from lernnetz.graph.regions import Region, resolve_region
from lernnetz.graph.store import GraphStore


def _region(store: GraphStore, ctx: _Context, text: str) -> Region:
    key = text.strip()
    with _LOCK:
        hit = ctx.regions.get(key)
    if hit is not None:
        return hit
    region = resolve_region(store, key)
    with _LOCK:
        if len(ctx.regions) > 4096:
            ctx.regions.clear()
        ctx.regions[key] = region
    return region


def _near(store: GraphStore, ctx: _Context, region: Region, radius_km: float) -> tuple[IntArray, FloatArray]:
    """Positions and distances of every municipality within the radius of the region, ordered by
    distance, then AGS: the store's ``near`` answered from the context's own index over the same
    coordinates with the same formula (:meth:`SpatialIndex.near`), so no store is asked per call."""
    area_key = (region.kind, region.key, radius_km)
    hit = ctx.areas.get(area_key)
    if hit is not None:
        return hit
    key = (region.kind, region.key)
    with _LOCK:
        centres = ctx.centres.get(key)
    if centres is None:
        ix = np.full(len(ctx.ags), -1, dtype=np.int64)
        ix[ctx.located] = np.arange(len(ctx.located))
        get = ctx.pos_of.get
        own = [ix[p] for p in (get(a) for a in dict.fromkeys(region.members)) if p is not None]
        centres = np.array([i for i in own if i >= 0], dtype=np.intp)
        with _LOCK:
            if len(ctx.centres) > 4096:
                ctx.centres.clear()
            ctx.centres[key] = centres
    if len(centres) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.float64)
    found, dist = ctx.index.near(centres, radius_km)
    pos = ctx.located[found]  # ascending, as the AGS
    order = np.lexsort((pos, dist))
    out = (pos[order], dist[order])
    if len(out[0]) <= _AREA_POINTS:  # kept read-only for the next question about this area
        out[0].flags.writeable = out[1].flags.writeable = False
        with _LOCK:
            if len(ctx.areas) >= _AREAS:
                ctx.areas.clear()
            ctx.areas[area_key] = out
    return out


#: ``_near`` keeps the areas of at most this many (region, radius) pairs per context …
_AREAS = 512
#: … each of at most this many Gemeinden (so at most 512 × 4,000 × 16 bytes, 33 MB).
_AREA_POINTS = 4_000


def _projects_near(ctx: _Context, pos: IntArray) -> list[str]:
    """Projects whose territory has a Gemeinde among the hits (lies within the radius), sorted."""
    return sorted({pid for p in pos[ctx.funded[pos]].tolist() for pid in ctx.projects_at.get(p, ())})


def _projects_all(ctx: _Context) -> list[str]:
    """Every project with a placed territory, sorted."""
    return [pid for pid in sorted(ctx.projects) if len(ctx.projects[pid].territory)]
