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

import networkx as nx
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


# ---------------------------------------------------------------------------- networks for Gephi

#: Network file formats: GraphML (yEd, Gephi, Cytoscape, networkx) and GEXF (Gephi).
NETWORK_FORMATS = ("graphml", "gexf")


def _attr(value: Any) -> str | int | float | bool | None:
    """An attribute value GraphML/GEXF can hold: scalars as they are, lists ``"; "``-joined,
    dicts as ``key=value; …``, missing (None, NaN) dropped (returns None)."""
    v = py(value)
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, bool | int | float | str):
        return v
    from lernnetz.graph.pictures.tables import text_cell

    text = text_cell(v)
    return text or None


def file_graph(G: nx.Graph) -> nx.Graph:
    """A copy of ``G`` that ``nx.write_graphml`` / ``nx.write_gexf`` accept and read back equal.

    Node ids become text; attributes with no value (None, NaN) are left out; lists and dicts
    become text (:func:`lernnetz.graph.pictures.tables.text_cell`); an attribute that has
    different types on different nodes (e.g. int here, float there) is written as float, or
    as text if mixed with text, because GraphML declares one type per key.
    """
    H: nx.Graph = G.__class__()
    H.graph.update({k: v for k, v in ((k, _attr(v)) for k, v in G.graph.items()) if v is not None})
    for n, a in G.nodes(data=True):
        H.add_node(str(n), **{k: v for k, v in ((k, _attr(v)) for k, v in a.items()) if v is not None})
    for u, v, a in G.edges(data=True):
        H.add_edge(
            str(u), str(v), **{k: x for k, x in ((k, _attr(x)) for k, x in a.items()) if x is not None}
        )
    for items in (list(H.nodes(data=True)), [(None, a) for *_, a in H.edges(data=True)]):
        kinds: dict[str, set[type]] = {}
        for _, a in items:
            for k, v in a.items():
                kinds.setdefault(k, set()).add(type(v))
        for k, ts in kinds.items():
            if len(ts) < 2:
                continue
            target: type = float if ts <= {int, float} else str
            for _, a in items:
                if k in a:
                    a[k] = (
                        target(a[k]) if not (target is str and isinstance(a[k], bool)) else str(a[k]).lower()
                    )
    return H


def network_bytes(G: nx.Graph, fmt: str) -> bytes:
    """``G`` as a GraphML or GEXF document (UTF-8)."""
    import io

    if fmt not in NETWORK_FORMATS:
        raise InvalidArgument(f"unknown network format {fmt!r}", hint="graphml or gexf")
    H = file_graph(G)
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(H, buf, encoding="utf-8", named_key_ids=True)
    else:
        nx.write_gexf(H, buf, encoding="utf-8")
    return buf.getvalue()


def write_network(G: nx.Graph, path: str | Path) -> Path:
    """Write ``G`` as GraphML (``.graphml``) or GEXF (``.gexf``), atomically, by the file's suffix."""
    from lernnetz.loaders.textio import write_bytes_atomic

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in NETWORK_FORMATS:
        raise InvalidArgument(
            f"{p} does not end in .graphml or .gexf", hint="name the file …graphml or …gexf"
        )
    return write_bytes_atomic(p, network_bytes(G, fmt))


# ---------------------------------------------------------------------------- one door for the Python face


def save(
    obj: Any,
    path: str | Path,
    *,
    dialect: str = "plain",
    attribution: str = "",
    source: str = "lernnetz",
) -> Path:
    """Write a result to ``path``, the format chosen by the suffix (what ``kn.export`` calls).

    * ``.csv`` — a DataFrame; ``dialect="excel"`` for German Excel (``;``, decimal comma, BOM);
    * ``.xlsx`` — a DataFrame, a dict of DataFrames, or a result with ``groups``/``members``/
      ``unassigned`` (one sheet each), plus the sheet ``Quelle``;
    * ``.geojson`` — a DataFrame with ``lat``/``lon``;
    * ``.graphml`` / ``.gexf`` — a networkx graph or a result with ``to_graph()``.
    """
    from lernnetz.graph.pictures import tables
    from lernnetz.loaders.textio import write_bytes_atomic

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in {".graphml", ".gexf"}:
        G = obj if isinstance(obj, nx.Graph) else obj.to_graph() if hasattr(obj, "to_graph") else None
        if G is None:
            raise InvalidArgument(
                f"{type(obj).__name__} is not a network", hint="pass a graph or a learning-network result"
            )
        return write_network(G, p)
    if suffix == ".xlsx":
        if isinstance(obj, pd.DataFrame):
            sheets = {p.stem: obj}
        elif isinstance(obj, dict):
            sheets = dict(obj)
        elif all(hasattr(obj, a) for a in ("groups", "members", "unassigned", "to_graph")):
            from lernnetz.graph.pictures.views import learning_network_sheets

            sheets = learning_network_sheets(obj)
        else:
            raise InvalidArgument(
                f"cannot write {type(obj).__name__} as XLSX", hint="pass a DataFrame or a dict of them"
            )
        return tables.write_xlsx(p, sheets, source=source, attribution=attribution)
    if not isinstance(obj, pd.DataFrame):
        raise InvalidArgument(
            f"cannot write {type(obj).__name__} as {suffix or 'a file'}", hint="pass a DataFrame"
        )
    if suffix == ".csv":
        if dialect not in tables.CSV_DIALECTS:
            raise InvalidArgument(f"unknown CSV dialect {dialect!r}", hint="plain or excel")
        return write_bytes_atomic(p, tables.to_csv(obj, "excel" if dialect == "excel" else "plain"))
    if suffix in {".geojson", ".json"}:
        return write_geojson(obj, p, attribution=attribution or None)
    raise InvalidArgument(
        f"unknown export format {p.suffix!r} ({p})", hint="csv, xlsx, geojson, graphml or gexf"
    )
