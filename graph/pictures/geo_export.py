"""GeoJSON with areas: project territories and Kreise as polygons, points when no boundaries.

* **Projects** (``lernnetz projects -f geojson``, API ``/projects?format=geojson``): with BKG
  Gemeinde boundaries, each project is the union of the polygons of its territory's Gemeinden
  (``geometry_kind = "territory"``); without, a point at its lead Gemeinde's centre, else the
  mean centre of its territory (``geometry_kind = "point"``).
* **Kreise** (``white-spots --by-district -f geojson``): with boundaries, the Kreis polygon
  (``district_key``); without, the population-weighted mean centre of its Gemeinden.

Coordinates are WGS84 (EPSG:4326), [lon, lat], 6 decimals; polygons are simplified by
:data:`SIMPLIFY_DEG` (about 50 m) and made valid (``shapely.make_valid``), so GIS tools and
``shapely.is_valid`` accept them. Rows that have neither keep ``"geometry": null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lernnetz.graph.jsonsafe import py
from lernnetz.graph.pictures.export import to_geojson

if TYPE_CHECKING:  # pragma: no cover - typing only
    from lernnetz.graph.store import GraphStore

SIMPLIFY_DEG = 0.0005


@lru_cache(maxsize=6)
def _polygons(source: str, level: str) -> dict[str, Any]:
    from lernnetz.loaders.boundaries import boundary_source, read_level

    lvl = "gemeinden" if level == "gemeinden" else "kreise"
    frame = read_level(boundary_source(source, lvl), lvl)  # type: ignore[arg-type]
    return dict(zip(frame["key"], frame.geometry, strict=True))


def _geometry(geom: Any) -> dict[str, Any] | None:
    from shapely import make_valid
    from shapely.geometry import mapping

    if geom is None or geom.is_empty:
        return None
    geom = make_valid(geom.simplify(SIMPLIFY_DEG, preserve_topology=True))
    if geom.geom_type == "GeometryCollection":  # keep the areas only
        from shapely.geometry import MultiPolygon

        parts = [g for g in geom.geoms if g.geom_type in {"Polygon", "MultiPolygon"}]
        polys = [p for g in parts for p in getattr(g, "geoms", [g])]
        geom = MultiPolygon(polys)
    out: dict[str, Any] = mapping(geom)

    def rnd(c: Any) -> Any:
        if isinstance(c, tuple | list) and c and isinstance(c[0], float | int):
            return [round(float(c[0]), 6), round(float(c[1]), 6)]
        return [rnd(x) for x in c]

    out["coordinates"] = rnd(out["coordinates"])
    return out


def with_areas(
    df: pd.DataFrame,
    key_column: str,
    areas: Mapping[str, Any],
    *,
    attribution: str | None = None,
) -> dict[str, Any]:
    """A FeatureCollection of ``df``: the polygon of ``areas[row[key_column]]`` where there is
    one, else the row's ``lat``/``lon`` point (or null). Adds ``geometry_kind`` to properties."""
    fc = to_geojson(df, attribution=attribution)
    for f, key in zip(fc["features"], df[key_column].astype(str), strict=True):
        geom = areas.get(key)
        poly = _geometry(geom) if geom is not None else None
        if poly is not None:
            f["geometry"] = poly
            f["properties"]["geometry_kind"] = "area"
        else:
            f["properties"]["geometry_kind"] = "point" if f["geometry"] else "none"
    return fc


def project_areas(store: GraphStore, boundaries: str | Path | None) -> dict[str, Any]:
    """Project id → union of its territory's Gemeinde polygons (empty without boundaries)."""
    if boundaries is None:
        return {}
    from shapely import union_all

    gem = _polygons(str(boundaries), "gemeinden")
    terr = store.territories()
    out: dict[str, Any] = {}
    for pid, rows in terr.groupby("project_id", sort=True):
        polys = [gem[a] for a in rows["ags"].astype(str) if a in gem]
        if polys:
            out[str(pid)] = union_all(polys)
    return out


def project_points(store: GraphStore, projects: pd.DataFrame) -> pd.DataFrame:
    """``projects`` with ``lat``/``lon``: the lead Gemeinde's centre, else the territory's mean centre."""
    terr = store.territories()
    lead_of = dict(zip(store.projects()["id"], store.projects()["lead_key"], strict=True))
    leads = [lead_of.get(p) for p in projects["id"]]
    keys = sorted(set(terr["ags"].astype(str)) | {str(k) for k in leads if isinstance(k, str)})
    m = store.municipalities(keys).set_index("ags")[["lat", "lon"]] if keys else pd.DataFrame()
    where: dict[str, tuple[float, float]] = {
        str(a): (float(la), float(lo))
        for a, la, lo in zip(m.index, m["lat"], m["lon"], strict=True)
        if pd.notna(la) and pd.notna(lo)
    }
    lat: list[Any] = []
    lon: list[Any] = []
    for pid, lead in zip(projects["id"], leads, strict=True):
        here: tuple[float, float] | None = None
        if isinstance(lead, str) and lead in where:
            here = where[lead]
        else:
            own = [a for a in terr.loc[terr["project_id"] == pid, "ags"].astype(str) if a in m.index]
            pts = m.loc[own].dropna() if own else pd.DataFrame()
            if len(pts):
                here = (float(pts["lat"].mean()), float(pts["lon"].mean()))
        lat.append(here[0] if here else None)
        lon.append(here[1] if here else None)
    return projects.assign(lat=lat, lon=lon)


def projects_geojson(
    store: GraphStore,
    projects: pd.DataFrame,
    boundaries: str | Path | None,
    *,
    attribution: str | None = None,
) -> dict[str, Any]:
    """Projects as territories (polygons) when boundaries are available, else points."""
    return with_areas(
        project_points(store, projects), "id", project_areas(store, boundaries), attribution=attribution
    )


def district_points(store: GraphStore, keys: list[str]) -> dict[str, tuple[float, float]]:
    """Kreis key → population-weighted mean centre of its Gemeinden."""
    m = store.municipalities()
    m = m[m["ags"].astype(str).str[:5].isin(set(keys)) & m["lat"].notna()]
    out: dict[str, tuple[float, float]] = {}
    for key, rows in m.groupby(m["ags"].astype(str).str[:5]):
        w = rows["population"].clip(lower=1).astype(float)
        out[str(key)] = (float((rows["lat"] * w).sum() / w.sum()), float((rows["lon"] * w).sum() / w.sum()))
    return out


def districts_geojson(
    store: GraphStore,
    df: pd.DataFrame,
    boundaries: str | Path | None,
    *,
    key_column: str = "district_key",
    attribution: str | None = None,
) -> dict[str, Any]:
    """A table with a Kreis key column as Kreis polygons (boundaries) or centre points."""
    keys = [str(py(k)) for k in df[key_column]]
    pts = district_points(store, keys)
    lat: list[Any] = [pts[k][0] if k in pts else None for k in keys]
    lon: list[Any] = [pts[k][1] if k in pts else None for k in keys]
    table = df.assign(lat=lat, lon=lon)
    areas = _polygons(str(boundaries), "kreise") if boundaries is not None else {}
    return with_areas(table, key_column, areas, attribution=attribution)
