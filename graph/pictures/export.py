"""GeoJSON export of result tables (for QGIS and web maps).

:func:`to_geojson` turns any table with ``lat`` and ``lon`` columns (WGS84 degrees, as every
lernnetz result with places has) into a GeoJSON FeatureCollection (RFC 7946) of Point features:

* one feature per row, in row order; a row without coordinates becomes a feature with
  ``"geometry": null`` (allowed by RFC 7946 §3.2) — it is kept, not dropped;
* every other column becomes a property; values are made JSON-safe (numpy and pandas scalars
  → Python, NaN/NaT/None → ``null``, timestamps → ISO text); lists and dicts are kept as JSON
  arrays and objects (QGIS shows them as JSON text);
* coordinates are ``[lon, lat]`` (RFC 7946 order), rounded to 6 decimals (~0.1 m).

The CLI's ``--format geojson`` and the API's ``?format=geojson`` use it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.jsonsafe import py
from lernnetz.loaders.textio import write_text_atomic

LAT_COLUMNS = ("lat", "latitude", "breitengrad")
LON_COLUMNS = ("lon", "lng", "longitude", "laengengrad")


def _column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): str(c) for c in df.columns}
    return next((lower[n] for n in names if n in lower), None)


def _coordinate(value: Any) -> float | None:
    v = py(value)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def to_geojson(df: pd.DataFrame, *, attribution: str | None = None) -> dict[str, Any]:
    """A FeatureCollection of Point features from the ``lat``/``lon`` columns of ``df``.

    Raises :class:`lernnetz.graph.errors.InvalidArgument` when the table has no coordinate columns.
    ``attribution`` (the data licence note) is added as a top-level ``attribution`` member.
    """
    lat_col, lon_col = _column(df, LAT_COLUMNS), _column(df, LON_COLUMNS)
    if lat_col is None or lon_col is None:
        raise InvalidArgument(
            f"this table has no coordinates (columns: {', '.join(map(str, df.columns))})",
            hint="GeoJSON needs lat and lon columns; use --format csv or json for this table",
        )
    props_cols = [c for c in df.columns if c not in (lat_col, lon_col)]
    features: list[dict[str, Any]] = []
    for row in df.itertuples(index=False, name=None):
        rec = dict(zip(df.columns, row, strict=True))
        lat, lon = _coordinate(rec[lat_col]), _coordinate(rec[lon_col])
        geometry = (
            {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
            if lat is not None and lon is not None
            else None
        )
        features.append(
            {"type": "Feature", "geometry": geometry, "properties": {str(c): py(rec[c]) for c in props_cols}}
        )
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if attribution:
        out["attribution"] = attribution
    return out


def write_geojson(df: pd.DataFrame, path: str | Path, *, attribution: str | None = None) -> Path:
    """Write :func:`to_geojson` to ``path`` (UTF-8, atomically) and return the path."""
    p = Path(path)
    text = json.dumps(to_geojson(df, attribution=attribution), ensure_ascii=False, allow_nan=False)
    return write_text_atomic(p, text + "\n")
