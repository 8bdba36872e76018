"""Official boundaries (BKG VG250/VG5000): Kreis and Land outlines, Gemeinde neighbourhood.

Needs the optional ``geo`` extra (geopandas, shapely, pyogrio); those are imported inside
the functions, so the rest of lernnetz works without them.

Sources are the BKG files "Verwaltungsgebiete" in any of GeoJSON, GeoPackage or Shapefile,
one file (or GeoPackage layer) per level: ``…gem…`` Gemeinden, ``…krs…`` Kreise, ``…lan…``
Länder. A source may be such a file, a folder holding them (e.g. ``../shared/data`` or its
``bkg_vg5000/``), or a lernnetz data dir after ``lernnetz data fetch --boundaries``.

Neighbourhood: two Gemeinden are neighbours when their polygons share a border of at least
50 m, measured in the metric CRS ETRS89 / UTM 32N (EPSG:25832). Candidate pairs come from an
STRtree query; the shared border is the length of the intersection of the two boundaries.
The BKG Gebietsstand can differ from the register's (VG5000 is 01.01.2021, the register
31.12.2020): pairs with a key that is not in the register are returned apart, never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lernnetz.loaders.errors import InputError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import geopandas as gpd

Level = Literal["gemeinden", "kreise", "laender"]
LEVELS: tuple[Level, ...] = ("gemeinden", "kreise", "laender")
#: BKG level code in file and layer names.
LEVEL_CODES: dict[Level, str] = {"gemeinden": "gem", "kreise": "krs", "laender": "lan"}
#: Key length of each level (AGS prefix).
KEY_DIGITS: dict[Level, int] = {"gemeinden": 8, "kreise": 5, "laender": 2}
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")
METRIC_CRS = "EPSG:25832"
MIN_SHARED_BORDER_M = 50.0
BKG_ATTRIBUTION = (
    "© GeoBasis-DE / BKG {year} (Daten verändert); "
    "Datenlizenz Deutschland – Namensnennung – Version 2.0; https://www.bkg.bund.de"
)
BOUNDARIES_DIR = "boundaries"
BOUNDARIES_METADATA = "boundaries.json"


def bkg_attribution(stand: str) -> str:
    """The BKG source note for boundaries of this Stand (ISO date or year)."""
    return BKG_ATTRIBUTION.format(year=stand[:4] if stand else "")


def level_of(name: str) -> Level | None:
    """The level a BKG file or layer name stands for (``VG250_GEM.shp`` → ``gemeinden``)."""
    low = name.lower()
    for level, code in LEVEL_CODES.items():
        if re.search(rf"(?:^|[_\-. ]){code}(?:[_\-. ]|$)", low):
            return level
    return None


def stand_from_name(name: str) -> str:
    """The Stand (ISO date) in a name like ``vg5000_gem_2021-01-01_wgs84.geojson``, or ``""``."""
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", name)
    return f"{m[1]}-{m[2]}-{m[3]}" if m else ""


def stand_from_text(text: str) -> str:
    """The Stand in BKG's ``aktualitaet.txt`` (``01.01.2021``) as ISO date, or ``""``."""
    m = re.search(r"(\d{2})\.(\d{2})\.(\d{4})", text)
    return f"{m[3]}-{m[2]}-{m[1]}" if m else ""


def find_boundary_files(folder: Path) -> dict[Level, Path]:
    """BKG files per level in ``folder`` or its ``bkg_vg250``/``bkg_vg5000`` subfolders.

    VG250 (finer) is preferred over VG5000 when both are there; GeoJSON and GeoPackage over
    Shapefile. A GeoPackage holding several levels appears once per level.
    """
    candidates: list[Path] = []
    for sub in (folder, folder / "bkg_vg250", folder / "bkg_vg5000"):
        if sub.is_dir():
            candidates += sorted(p for p in sub.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES)

    def rank(p: Path) -> tuple[int, int, str]:
        low = p.name.lower()
        scale = 0 if "vg250" in low else 1
        kind = {".geojson": 0, ".json": 0, ".gpkg": 1, ".shp": 2}[p.suffix.lower()]
        return scale, kind, p.name

    found: dict[Level, Path] = {}
    for p in sorted(candidates, key=rank):
        levels: list[Level] = []
        if p.suffix.lower() == ".gpkg" and level_of(p.stem) is None:
            levels = [lv for lv, _ in gpkg_layers(p)]
        else:
            lv = level_of(p.stem)
            levels = [lv] if lv else []
        for lv in levels:
            found.setdefault(lv, p)
    return found


def gpkg_layers(path: Path) -> list[tuple[Level, str]]:
    """(level, layer name) of the BKG layers in a GeoPackage."""
    import pyogrio

    out: list[tuple[Level, str]] = []
    for name, _geom in pyogrio.list_layers(path):
        lv = level_of(str(name))
        if lv is not None and lv not in {x for x, _ in out}:
            out.append((lv, str(name)))
    return out


@dataclass(frozen=True, slots=True)
class BoundarySource:
    """One level's file (and GeoPackage layer) with its Stand and attribution."""

    level: Level
    path: Path
    layer: str | None = None
    stand: str = ""

    @property
    def attribution(self) -> str:
        return bkg_attribution(self.stand)


def boundary_source(source: str | Path, level: Level) -> BoundarySource:
    """Resolve ``source`` (file, folder, or lernnetz data dir) to the file of one level."""
    p = Path(source).expanduser()
    if not p.exists():
        raise InputError.single(p, "no such file or folder (boundaries)")
    if p.is_dir():
        meta_file = next(
            (m for m in (p / BOUNDARIES_DIR / BOUNDARIES_METADATA, p / BOUNDARIES_METADATA) if m.is_file()),
            None,
        )
        if meta_file is not None:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            entry = meta.get("levels", {}).get(level)
            if not entry:
                raise InputError.single(meta_file, f"the fetched boundaries have no level {level!r}")
            return BoundarySource(
                level,
                meta_file.parent / meta["dir"] / entry["file"],
                entry.get("layer"),
                meta.get("stand", ""),
            )
        files = find_boundary_files(p)
        if level not in files:
            raise InputError.single(
                p,
                f"no BKG file for {level} (a name with '_{LEVEL_CODES[level]}', "
                f"one of {', '.join(VECTOR_SUFFIXES)}) here or in bkg_vg250/, bkg_vg5000/",
            )
        path = files[level]
        stand = stand_from_name(path.name)
        for akt in (path.parent / "aktualitaet.txt", path.parent / "original" / "aktualitaet.txt"):
            if not stand and akt.is_file():
                stand = stand_from_text(akt.read_text(encoding="utf-8", errors="replace"))
        return BoundarySource(level, path, _layer_for(path, level), stand)
    return BoundarySource(level, p, _layer_for(p, level), stand_from_name(p.name))


def _layer_for(path: Path, level: Level) -> str | None:
    if path.suffix.lower() != ".gpkg":
        return None
    layers = dict(gpkg_layers(path))
    if level not in layers:
        raise InputError.single(
            path, f"no layer for {level} (a name with '_{LEVEL_CODES[level]}') in this GeoPackage"
        )
    return layers[level]


def read_level(source: str | Path | BoundarySource, level: Level) -> gpd.GeoDataFrame:
    """One level as a GeoDataFrame with ``key``, ``name``, ``geometry`` in EPSG:4326.

    ``key`` is the AGS prefix of the level (8, 5 or 2 digits) as text. Where the BKG file
    has a ``GF`` column (Geofaktor), only the areas "with structure" are kept: GF 9 in
    VG5000, GF 4 (land) in VG250; coastal waters and lake parts belong to no Gemeinde.
    Several polygons with one key are merged into one.
    """
    import geopandas as gpd

    src = source if isinstance(source, BoundarySource) else boundary_source(source, level)
    try:
        frame = gpd.read_file(src.path, layer=src.layer) if src.layer else gpd.read_file(src.path)
    except Exception as exc:  # pyogrio raises its own DataSourceError / OSError family
        raise InputError.single(src.path, f"cannot read the boundary file: {exc}") from exc
    missing = [c for c in ("AGS", "GEN") if c not in frame.columns]
    if missing:
        raise InputError.single(
            src.path,
            f"missing column(s) {', '.join(missing)} (BKG attributes AGS and GEN expected)",
            column=missing[0],
        )
    if frame.crs is None:
        raise InputError.single(src.path, "the file has no coordinate reference system")
    if "GF" in frame.columns:
        gf = set(frame["GF"].dropna().astype(int))
        keep = 9 if 9 in gf else 4 if 4 in gf else None
        if keep is not None:
            frame = frame[frame["GF"].astype(int) == keep]
    digits = KEY_DIGITS[level]
    keys = frame["AGS"].astype(str).str.strip()
    bad = keys[~keys.str.fullmatch(rf"\d{{{digits}}}")]
    if len(bad):
        row = int(bad.index[0])
        raise InputError.single(
            src.path,
            f"expected an AGS of {digits} digits for {level}",
            row=row + 1,
            column="AGS",
            value=bad.iloc[0],
        )
    out = gpd.GeoDataFrame(
        {"key": keys.to_numpy(), "name": frame["GEN"].astype(str).to_numpy()},
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    if out["key"].duplicated().any():
        out = out.dissolve(by="key", aggfunc={"name": "first"}).reset_index()[["key", "name", "geometry"]]
    out = out.to_crs("EPSG:4326") if out.crs.to_epsg() != 4326 else out
    return out.sort_values("key").reset_index(drop=True)


def read_kreise(source: str | Path) -> gpd.GeoDataFrame:
    """Kreis outlines (``key`` = 5-digit Kreis key) for maps, EPSG:4326."""
    return read_level(source, "kreise")


def read_laender(source: str | Path) -> gpd.GeoDataFrame:
    """Land outlines (``key`` = 2-digit Land key, one row per Land) for maps, EPSG:4326."""
    return read_level(source, "laender")


def read_gemeinden(source: str | Path) -> gpd.GeoDataFrame:
    """Gemeinde polygons (``key`` = AGS), EPSG:4326."""
    return read_level(source, "gemeinden")


# --------------------------------------------------------------------------- neighbourhood

Pair = tuple[str, str, float]


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Gemeinde pairs sharing a border, split by whether both keys are in the register."""

    #: ``(ags_a, ags_b, shared_border_km)`` with ``ags_a < ags_b``, sorted; both in the register.
    pairs: list[Pair]
    #: Pairs with at least one key not in the register (other Gebietsstand), sorted.
    unknown: list[Pair] = field(default_factory=list)
    #: Polygon keys that are not in the register.
    unknown_keys: list[str] = field(default_factory=list)
    #: Register keys without a polygon (e.g. the three special 999 areas).
    without_polygon: list[str] = field(default_factory=list)
    source: str = ""
    stand: str = ""

    @property
    def provenance(self) -> tuple[str, str]:
        """``(source, stand)`` for :attr:`lernnetz.graph.model.GraphData.neighbours_source`."""
        return self.source, self.stand


def shared_borders(
    keys: Sequence[str], geometries: Sequence[Any], *, min_shared_m: float = MIN_SHARED_BORDER_M
) -> list[Pair]:
    """Pairs of polygons (in a metric CRS) whose boundaries share at least ``min_shared_m``.

    Returns ``(key_a, key_b, shared_km)`` with ``key_a < key_b``, sorted, km rounded to 1 m.
    """
    import numpy as np
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) != len(keys):
        raise ValueError("keys and geometries differ in length")
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    mask = left < right
    left, right = left[mask], right[mask]
    boundaries = shapely.boundary(geoms)
    lengths = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    out: list[Pair] = []
    for i, j, metres in zip(left.tolist(), right.tolist(), lengths.tolist(), strict=True):
        if metres >= min_shared_m:
            a, b = sorted((keys[i], keys[j]))
            out.append((a, b, round(metres / 1000.0, 3)))
    out.sort()
    return out


def gemeinde_neighbours(
    source: str | Path | BoundarySource,
    register_ags: Iterable[str] | None = None,
    *,
    min_shared_m: float = MIN_SHARED_BORDER_M,
    laender: Iterable[str] | None = None,
) -> Neighbours:
    """Neighbouring Gemeinden from the BKG Gemeinde polygons.

    ``register_ags``: the register's keys; pairs with another key go to
    :attr:`Neighbours.unknown`. ``laender``: restrict to Gemeinden of these Land keys
    (pairs across the Land border are then not seen).
    """
    src = source if isinstance(source, BoundarySource) else boundary_source(source, "gemeinden")
    frame = read_level(src, "gemeinden")
    scope = tuple(laender) if laender is not None else None
    if scope is not None:
        frame = frame[frame["key"].str.startswith(scope)]
    metric = frame.to_crs(METRIC_CRS)
    keys = metric["key"].tolist()
    pairs = shared_borders(keys, list(metric.geometry.array), min_shared_m=min_shared_m)
    if register_ags is None:
        return Neighbours(pairs=pairs, source=str(src.path), stand=src.stand)
    known = set(register_ags)
    known_in_scope = {k for k in known if k.startswith(scope)} if scope is not None else known
    polygon_keys = set(keys)
    return Neighbours(
        pairs=[p for p in pairs if p[0] in known and p[1] in known],
        unknown=[p for p in pairs if p[0] not in known or p[1] not in known],
        unknown_keys=sorted(polygon_keys - known),
        without_polygon=sorted(known_in_scope - polygon_keys),
        source=str(src.path),
        stand=src.stand,
    )
