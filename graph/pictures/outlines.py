"""Kreis and Land outlines (BKG boundaries) projected like the nodes of a network page.

The page draws them on the canvas beneath the nodes (vis-network ``beforeDrawing``), in the
same pixel coordinates as the nodes (:class:`lernnetz.graph.pictures.layout.Projection`), so a
node sits inside its Kreis. Boundaries are optional (the ``geo`` extra and
``lernnetz data fetch --boundaries``); without them the page has no outlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lernnetz.graph.pictures.layout import Projection

if TYPE_CHECKING:  # pragma: no cover - typing only
    import geopandas as gpd

#: Outline vertices closer than this (degrees, about 150 m) are merged before projection.
SIMPLIFY_DEG = 0.0015


@dataclass
class Outlines:
    """Projected rings per level: ``{"kreise": [(name, [x0, y0, x1, y1, …]), …], "laender": …}``."""

    kreise: list[tuple[str, list[float]]] = field(default_factory=list)
    laender: list[tuple[str, list[float]]] = field(default_factory=list)
    attribution: str = ""

    def as_json(self) -> dict[str, Any]:
        """JSON for the page: names and flat coordinate lists (pixels, 1 decimal)."""
        return {
            "kreise": [{"name": n, "xy": xy} for n, xy in self.kreise],
            "laender": [{"name": n, "xy": xy} for n, xy in self.laender],
            "attribution": self.attribution,
        }


@lru_cache(maxsize=8)
def _level(source: str, level: str) -> gpd.GeoDataFrame:
    from lernnetz.loaders.boundaries import boundary_source, read_level

    if level == "kreise":
        return read_level(boundary_source(source, "kreise"), "kreise")
    return read_level(boundary_source(source, "laender"), "laender")


def _stand(source: str) -> str:
    from lernnetz.loaders.boundaries import bkg_attribution, boundary_source, stand_from_name

    return bkg_attribution(stand_from_name(boundary_source(source, "kreise").path.name))


def _rings(geom: Any) -> list[list[tuple[float, float]]]:
    """Exterior and interior rings of a (multi)polygon as (lon, lat) lists."""
    polys = list(getattr(geom, "geoms", [geom]))
    out: list[list[tuple[float, float]]] = []
    for p in polys:
        if p.is_empty or p.geom_type != "Polygon":
            continue
        out.append([(float(x), float(y)) for x, y in p.exterior.coords])
        out += [[(float(x), float(y)) for x, y in r.coords] for r in p.interiors]
    return out


def outlines(
    source: str | Path,
    projection: Projection,
    bbox: tuple[float, float, float, float],
) -> Outlines:
    """Kreis and Land outlines touching ``bbox`` = (min_lon, min_lat, max_lon, max_lat), projected.

    Whole outlines (simplified), not clipped: a clip edge would look like a border.

    Raises :class:`lernnetz.loaders.errors.InputError` when the source has no readable
    Kreis/Land boundaries.
    """
    from shapely.geometry import box

    area = box(*bbox)
    out = Outlines(attribution=_stand(str(source)))
    for level in ("kreise", "laender"):
        frame = _level(str(source), level)
        hit = frame[frame.intersects(area)]
        rings: list[tuple[str, list[float]]] = []
        for name, geom in zip(hit["name"], hit.geometry, strict=True):
            shape = geom.simplify(SIMPLIFY_DEG * (1 if level == "kreise" else 2.5))
            for ring in _rings(shape):
                flat: list[float] = []
                for lon, lat in ring:
                    x, y = projection(lat, lon)
                    flat += [round(x, 1), round(y, 1)]
                if len(flat) >= 6:
                    rings.append((str(name), flat))
        if level == "kreise":
            out.kreise = rings
        else:
            out.laender = rings
    return out


def territories(
    boundaries: str | Path,
    projection: Projection,
    groups: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each hub's territory as projected rings (union of its Gemeinde polygons), in its group colour."""
    from shapely import union_all

    from lernnetz.graph.pictures.geo_export import _polygons

    gem = _polygons(str(boundaries), "gemeinden")
    out: list[dict[str, Any]] = []
    for g in groups:
        keys = [
            str(m.get("ags"))
            for m in members
            if m.get("group_id") == g["id"] and str(m.get("role") or "") != "member"
        ]
        polys = [gem[k] for k in keys if k in gem]
        if not polys:
            continue
        area = union_all(polys).simplify(SIMPLIFY_DEG)
        rings = []
        for ring in _rings(area):
            flat: list[float] = []
            for lon, lat in ring:
                x, y = projection(lat, lon)
                flat += [round(x, 1), round(y, 1)]
            rings.append(flat)
        out.append({"hub": g["hub"], "color": g["color"], "rings": rings})
    return out
