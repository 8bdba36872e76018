"""Where nodes go on a network page: geography, not physics.

Nodes are placed by their official centre coordinates through one :class:`Projection`
(equirectangular around the graph's mean position, km scaled to pixels, y pointing south on
screen). The same projection draws the Kreis and Land outlines beneath the nodes
(:mod:`lernnetz.graph.pictures.outlines`), so outlines and nodes line up. Nodes without
coordinates go beside their neighbours; overlapping nodes are nudged apart (:func:`separate`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from lernnetz.graph.jsonsafe import py

#: Mean Earth radius (km), as everywhere in lernnetz.
EARTH_RADIUS_KM = 6371.0088
#: The longer side of the graph's bounding box is scaled to about this many pixels.
CANVAS_PX = 1000.0
#: Up to this many nodes, overlapping nodes are nudged apart (:func:`separate`).
SEPARATE_LIMIT = 400
#: Style per node kind: colour, vis shape, legend text (German / English).
KIND_STYLE: dict[str, dict[str, str]] = {
    "project": {"color": "#c0392b", "shape": "diamond", "de": "Modellprojekt (MPSC)", "en": "model project"},
    "funded": {
        "color": "#2e86c1",
        "shape": "dot",
        "de": "geförderte Kommune",
        "en": "funded municipality (in a project's territory)",
    },
    "candidate": {
        "color": "#f39c12",
        "shape": "dot",
        "de": "nicht geförderte Kommune",
        "en": "candidate (not funded)",
    },
    "topic": {"color": "#27ae60", "shape": "box", "de": "Thema", "en": "topic"},
    "event": {"color": "#8e44ad", "shape": "triangle", "de": "Veranstaltung", "en": "event"},
    "place": {"color": "#16a085", "shape": "square", "de": "Kreis / Verband", "en": "Kreis or Verband"},
    "other": {"color": "#7f8c8d", "shape": "dot", "de": "sonstiger Knoten", "en": "other node"},
}
KINDS = tuple(KIND_STYLE)

_PREFIX_KIND = {"Project": "project", "Topic": "topic", "Event": "event"}


def _num(value: Any) -> float | None:
    v = py(value)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


# ---------------------------------------------------------------------------- layout


def node_kind(node: Any, attrs: Mapping[str, Any]) -> str:
    """The display kind of a node: its ``kind`` attribute, else inferred from a ``Kind:key`` id."""
    kind = attrs.get("kind")
    if isinstance(kind, str) and kind in KIND_STYLE:
        return kind
    prefix = str(node).split(":", 1)[0]
    if prefix == "Municipality":
        return "funded" if attrs.get("funded") else "candidate"
    return _PREFIX_KIND.get(prefix, "other")


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection around (lat0, lon0): x = R·Δλ·cos φ0, y = −R·Δφ (km) × scale (px/km)."""

    lat0: float
    lon0: float
    scale: float

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        k = math.cos(math.radians(self.lat0))
        x = EARTH_RADIUS_KM * math.radians(lon - self.lon0) * k
        y = -EARTH_RADIUS_KM * math.radians(lat - self.lat0)
        return (x * self.scale, y * self.scale)

    @classmethod
    def fit(cls, coords: Mapping[Any, tuple[float, float]], canvas_px: float | None = None) -> Projection:
        """The projection :func:`project_positions` uses for ``{node: (lat, lon)}``."""
        lats = [c[0] for c in coords.values()] or [51.0]
        lons = [c[1] for c in coords.values()] or [10.0]
        lat0, lon0 = sum(lats) / len(lats), sum(lons) / len(lons)
        unit = cls(lat0, lon0, 1.0)
        km = [unit(lat, lon) for lat, lon in coords.values()]
        xs, ys = [p[0] for p in km] or [0.0], [p[1] for p in km] or [0.0]
        extent = max(max(xs) - min(xs), max(ys) - min(ys))
        px = CANVAS_PX if canvas_px is None else canvas_px
        scale = min(40.0, max(0.5, px / extent)) if extent > 0 else 10.0
        return cls(lat0, lon0, scale)


def project_positions(coords: Mapping[Any, tuple[float, float]]) -> dict[Any, tuple[float, float]]:
    """Screen positions (pixels, y down) for ``{node: (lat, lon)}``.

    Equirectangular projection around the mean position (x = R·Δλ·cos φ0, y = −R·Δφ, in km),
    scaled so the longer side of the bounding box spans about :data:`CANVAS_PX` pixels
    (between 0.5 and 40 px per km). Distances in one graph keep their proportions within a
    fraction of a percent for regional graphs; a Germany-wide graph is distorted by ≤ ~7 %.
    """
    if not coords:
        return {}
    proj = Projection.fit(coords)
    return {n: proj(lat, lon) for n, (lat, lon) in coords.items()}


def layout(G: nx.Graph) -> dict[Any, tuple[float, float]]:
    """Pixel positions for every node of ``G`` (deterministic).

    Nodes with ``lat``/``lon`` are projected (:func:`project_positions`). Nodes sharing a
    position are spread on a small circle. Nodes without coordinates go beside the mean of
    their placed neighbours (golden-angle offsets), or, with no placed neighbour, in a row
    below the map.
    """
    coords: dict[Any, tuple[float, float]] = {}
    for n, a in G.nodes(data=True):
        lat, lon = _num(a.get("lat")), _num(a.get("lon"))
        if lat is not None and lon is not None:
            coords[n] = (lat, lon)
    pos = project_positions(coords)
    order = sorted(G.nodes, key=str)
    golden = math.pi * (3 - math.sqrt(5))
    unplaced = [n for n in order if n not in pos]
    orphans: list[Any] = []
    for i, n in enumerate(unplaced):
        near = [pos[m] for m in sorted(G.neighbors(n), key=str) if m in pos]
        if not near:
            orphans.append(n)
            continue
        cx = sum(p[0] for p in near) / len(near)
        cy = sum(p[1] for p in near) / len(near)
        r = 60.0 + 12.0 * (i % 5)
        pos[n] = (cx + r * math.cos(golden * (i + 1)), cy + r * math.sin(golden * (i + 1)))
    if orphans:
        bottom = max((p[1] for p in pos.values()), default=0.0) + 120.0
        left = min((p[0] for p in pos.values()), default=0.0)
        for j, n in enumerate(orphans):
            pos[n] = (left + 140.0 * (j % 8), bottom + 80.0 * (j // 8))
    # spread exact duplicates (a project drawn at its lead municipality's centre, …)
    groups: dict[tuple[int, int], list[Any]] = {}
    for n in order:
        x, y = pos[n]
        groups.setdefault((round(x), round(y)), []).append(n)
    for members in groups.values():
        if len(members) > 1:
            x, y = pos[members[0]]
            r = 14.0 + 2.0 * len(members)
            for j, n in enumerate(members):
                a = 2 * math.pi * j / len(members)
                pos[n] = (x + r * math.cos(a), y + r * math.sin(a))
    if len(order) <= SEPARATE_LIMIT:
        radii = [_footprint(n, G.nodes[n]) for n in order]
        pos = dict(zip(order, separate([pos[n] for n in order], radii), strict=True))
    return pos


def _footprint(node: Any, attrs: Mapping[str, Any]) -> float:
    """Approximate radius (px) a node covers: its size, or half the width of a labelled box."""
    kind = node_kind(node, attrs)
    r = node_size(attrs.get("population"), kind)
    if KIND_STYLE[kind]["shape"] == "box":
        r = max(r, 3.5 * len(str(attrs.get("label") or node)))
    return r


def separate(
    points: list[tuple[float, float]], radii: list[float], *, gap: float = 4.0, iterations: int = 80
) -> list[tuple[float, float]]:
    """Nudge overlapping circles apart (deterministic; pairs overlapping by d move d/2 each, damped).

    Geography stays: only nodes closer than the sum of their radii plus ``gap`` move, and only
    as far as needed. Used for graphs up to :data:`SEPARATE_LIMIT` nodes.
    """
    import numpy as np

    P = np.asarray(points, dtype=float).reshape(-1, 2)
    R = np.asarray(radii, dtype=float) + gap / 2
    n = len(P)
    if n < 2:
        return [(float(x), float(y)) for x, y in P]
    idx = np.arange(n)
    # fallback directions for coincident points: fixed angles by index
    fallback = np.stack([np.cos(idx * 2.399963), np.sin(idx * 2.399963)], axis=1)
    for _ in range(iterations):
        D = P[:, None, :] - P[None, :, :]
        dist = np.sqrt((D**2).sum(axis=2))
        need = R[:, None] + R[None, :]
        over = need - dist
        np.fill_diagonal(over, 0.0)
        if not (over > 0.05).any():
            break
        with np.errstate(invalid="ignore", divide="ignore"):
            U = np.where(
                dist[..., None] > 1e-9, D / dist[..., None], fallback[:, None, :] - fallback[None, :, :]
            )
        push = np.clip(over, 0.0, None)[..., None] * U * 0.5 * 0.6
        P = P + push.sum(axis=1)
    return [(float(x), float(y)) for x, y in P]


def node_size(population: Any, kind: str) -> float:
    """Node radius in pixels: 5 + √population / 25, capped at 45 (0 → 5, 1,000 → 6, 100,000 → 18, 1 M → 45)."""
    p = _num(population)
    fixed = {"project": 20.0, "topic": 14.0, "event": 14.0}
    if p is None or (p <= 0 and kind in fixed):  # no population: topics, events, projects without a figure
        return fixed.get(kind, 8.0)
    return min(45.0, 5.0 + math.sqrt(max(p, 0.0)) / 25.0)
