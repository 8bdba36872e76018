"""Fetch the BKG boundaries (VG250/VG5000: Gemeinden, Kreise, Länder) into the cache dir.

Same discipline as the register (:mod:`lernnetz.loaders.fetch`): each fetch is staged in a
fresh folder under ``boundaries/``, validated, and committed by writing
``boundaries/boundaries.json`` that points to it; the previous folder is removed only
afterwards. ``write_neighbours`` derives Gemeinde neighbours (``neighbours.csv``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lernnetz.loaders.boundaries import (
    BOUNDARIES_DIR,
    BOUNDARIES_METADATA,
    LEVEL_CODES,
    SHAPEFILE_SIDECARS,
    Level,
    bkg_attribution,
    find_boundary_files,
    gpkg_layers,
    level_of,
    stand_from_name,
    stand_from_text,
)
from lernnetz.loaders.download import (
    CHUNK_BYTES,
    DIR_MODE,
    LICENCE,
    FetchError,
    copy_file,
    download,
    is_url,
    now_iso,
    sha256_file,
    url_name,
    write_json_atomic,
)
from lernnetz.loaders.fetch import cached_register_path, load_cached_register
from lernnetz.loaders.textio import write_text_atomic

#: BKG VG250 (1:250,000, Gebietsstand 31.12., levels, UTM32s Shapefiles in a ZIP of about 60 MB).
BKG_VG250_URL = (
    "https://daten.gdz.bkg.bund.de/produkte/vg/vg250_ebenen_1231/aktuell/vg250_12-31.utm32s.shape.ebenen.zip"
)
NEIGHBOURS_FILE = "neighbours.csv"


def _boundary_members(names: Iterable[str]) -> dict[Level, str]:
    """Level → main member name (``.geojson``/``.gpkg``/``.shp``) among archive members."""
    found: dict[Level, str] = {}
    for name in sorted(names):
        suffix = Path(name).suffix.lower()
        if suffix not in {".geojson", ".json", ".gpkg", ".shp"}:
            continue
        lv = level_of(Path(name).stem)
        if lv is not None:
            found.setdefault(lv, name)
    return found


def _stage_file(src: Path, staging: Path, level: Level, *, progress: bool) -> list[Path]:
    """Copy one level's file (with Shapefile sidecars) into ``staging`` as ``<level>.<ext>``."""
    out: list[Path] = []
    parts = [src] + (
        [src.with_suffix(s) for s in SHAPEFILE_SIDECARS if src.with_suffix(s).exists()]
        if src.suffix.lower() == ".shp"
        else []
    )
    for part in parts:
        tmp, _sha, _size = copy_file(part, staging, progress=progress)
        target = staging / f"{level}{part.suffix.lower()}"
        os.replace(tmp, target)
        out.append(target)
    return out


def _stage_zip(archive: Path, staging: Path, source: str) -> tuple[dict[Level, Path], str]:
    """Extract the GEM/KRS/LAN files of a BKG archive into ``staging``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            members = _boundary_members(names)
            if not members:
                raise FetchError.at(
                    source, "no Gemeinde/Kreis/Land boundary file (…_GEM/_KRS/_LAN) in the archive"
                )
            staged: dict[Level, Path] = {}
            for lv, name in members.items():
                stem = name[: -len(Path(name).suffix)]
                wanted = [name] + [
                    n for n in names if n.lower() in {(stem + s).lower() for s in SHAPEFILE_SIDECARS}
                ]
                for member in wanted:
                    target = staging / f"{lv}{Path(member).suffix.lower()}"
                    with zf.open(member) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, CHUNK_BYTES)
                staged[lv] = staging / f"{lv}{Path(name).suffix.lower()}"
            stand = ""
            akt = next((n for n in names if Path(n).name.lower() == "aktualitaet.txt"), None)
            if akt:
                stand = stand_from_text(zf.read(akt).decode("utf-8", errors="replace"))
            return staged, stand
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FetchError.at(source, f"not a readable ZIP archive (truncated?): {exc}") from exc


def _validate_boundary(path: Path, level: Level, source: str, layer: str | None) -> int:
    """Check a staged level file; return its feature count."""
    if path.suffix.lower() in {".geojson", ".json"}:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FetchError.at(source, f"not a readable GeoJSON file for {level}: {exc}") from exc
        features = data.get("features") if isinstance(data, dict) else None
        if not features:
            raise FetchError.at(source, f"no features in the GeoJSON file for {level}")
        props = features[0].get("properties") or {}
        if "AGS" not in props:
            raise FetchError.at(source, f"the {level} features have no AGS attribute")
        return len(features)
    try:
        import pyogrio
    except ImportError as exc:
        raise FetchError.at(
            source, "reading GeoPackage/Shapefile needs the geo extra: pip install 'lernnetz[geo]'"
        ) from exc
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # pyogrio's DataSourceError family
        raise FetchError.at(source, f"not a readable boundary file for {level}: {exc}") from exc
    if "AGS" not in list(info["fields"]):
        raise FetchError.at(source, f"the {level} layer has no AGS attribute")
    count = int(info["features"])
    if count <= 0:
        raise FetchError.at(source, f"no features in the {level} layer")
    return count


def fetch_boundaries(
    data_dir: Path,
    source: str | Path | None = None,
    *,
    progress: bool = True,
    timeout: float = 60,
    neighbours: bool = True,
) -> dict[str, Any]:
    """Install BKG boundaries (Gemeinden, Kreise, Länder) into ``data_dir/boundaries``.

    ``source``: a folder (e.g. ``../shared/data``, which holds ``bkg_vg5000/*.geojson``), one
    GeoJSON/GeoPackage/Shapefile, a BKG ZIP archive, or an http(s) URL of a file or archive;
    default :data:`BKG_VG250_URL` (the publisher's VG250 archive).
    Returns the metadata written to ``boundaries/boundaries.json``. With ``neighbours``
    (and the Gemeinde level present), also writes ``neighbours.csv`` (see
    :func:`write_neighbours`), which ``lernnetz load`` turns into NEIGHBOUR_OF edges.
    """
    data_dir = Path(data_dir).expanduser()
    root = data_dir / BOUNDARIES_DIR
    root.mkdir(parents=True, exist_ok=True)
    if source is None:
        source = BKG_VG250_URL
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        staged: dict[Level, Path] = {}
        layers: dict[Level, str | None] = {}
        stand = ""
        label = str(source)
        if is_url(source):
            url = str(source)
            tmp, _sha, _size = download(url, staging, timeout=timeout, progress=progress)
            name = url_name(url)
            local = staging / f"download{Path(name).suffix.lower()}"
            os.replace(tmp, local)
            stand = stand_from_name(name)
            files: dict[Level, Path] = {}
            if zipfile.is_zipfile(local):
                staged, zstand = _stage_zip(local, staging, url)
                stand = zstand or stand
                local.unlink()
            else:
                lv = level_of(Path(name).stem)
                if local.suffix == ".gpkg" and lv is None:
                    files = dict.fromkeys(_gpkg_levels(local, url), local)
                elif lv is not None:
                    files = {lv: local}
                else:
                    raise FetchError.at(url, "cannot tell the level (…_gem/_krs/_lan) from the file name")
                for lv2, path in files.items():
                    staged[lv2] = path
        else:
            path = Path(source).expanduser()
            if not path.exists():
                raise FetchError.at(path, "no such file or folder (boundaries)")
            label = str(path.resolve())
            if path.is_dir():
                files = find_boundary_files(path)
                if not files:
                    raise FetchError.at(
                        path,
                        "no BKG boundary files (names with _gem/_krs/_lan) here or in bkg_vg250/, bkg_vg5000/",
                    )
                for akt in (
                    path / "bkg_vg250" / "original",
                    path / "bkg_vg5000" / "original",
                    path / "original",
                ):
                    if not stand and (akt / "aktualitaet.txt").is_file():
                        stand = stand_from_text(
                            (akt / "aktualitaet.txt").read_text(encoding="utf-8", errors="replace")
                        )
            elif zipfile.is_zipfile(path):
                files = {}
                staged, stand = _stage_zip(path, staging, label)
            else:
                lv = level_of(path.stem)
                if path.suffix.lower() == ".gpkg" and lv is None:
                    files = dict.fromkeys(_gpkg_levels(path, label), path)
                elif lv is not None:
                    files = {lv: path}
                else:
                    raise FetchError.at(path, "cannot tell the level (…_gem/_krs/_lan) from the file name")
            copied: dict[Path, Path] = {}
            for lv, src in files.items():
                if src.suffix.lower() == ".gpkg":
                    if src not in copied:
                        tmp, _sha, _size = copy_file(src, staging, progress=progress)
                        copied[src] = staging / "boundaries.gpkg"
                        os.replace(tmp, copied[src])
                    staged[lv] = copied[src]
                else:
                    staged[lv] = _stage_file(src, staging, lv, progress=progress)[0]
                stand = stand or stand_from_name(src.name)
        levels: dict[str, dict[str, Any]] = {}
        for lv, path in sorted(staged.items()):
            layer = _gpkg_layer(path, lv, label) if path.suffix == ".gpkg" else None
            layers[lv] = layer
            count = _validate_boundary(path, lv, label, layer)
            levels[lv] = {
                "file": path.name,
                "layer": layer,
                "features": count,
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
            }
        if "gemeinden" not in levels and "kreise" not in levels:
            raise FetchError.at(label, "neither Gemeinde nor Kreis boundaries found")
        previous = _read_boundaries_meta(root)
        final_name = f"v{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        staging.chmod(DIR_MODE)
        os.replace(staging, root / final_name)
        metadata: dict[str, Any] = {
            "dir": final_name,
            "source": label,
            "stand": stand,
            "levels": levels,
            "fetched_at": now_iso(),
            "licence": LICENCE,
            "attribution": bkg_attribution(stand),
        }
        write_json_atomic(root / BOUNDARIES_METADATA, metadata)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if previous and previous.get("dir") and previous["dir"] != final_name:
        shutil.rmtree(root / str(previous["dir"]), ignore_errors=True)
    if neighbours and "gemeinden" in levels:
        try:
            import geopandas  # noqa: F401
        except ImportError:
            metadata["neighbours"] = {"skipped": "needs the geo extra: pip install 'lernnetz[geo]'"}
        else:
            metadata["neighbours"] = write_neighbours(data_dir)
        write_json_atomic(root / BOUNDARIES_METADATA, metadata)
    return metadata


def write_neighbours(data_dir: Path) -> dict[str, Any]:
    """Compute Gemeinde neighbours from the fetched boundaries into ``neighbours.csv``.

    Every pair is written (``ags_a,ags_b,shared_border_km``), including pairs with a key
    that is not in the cached register (another Gebietsstand); the loader keeps those
    apart. Returns a summary for the metadata. Needs the ``geo`` extra.
    """
    from lernnetz.loaders.boundaries import METRIC_CRS, MIN_SHARED_BORDER_M, gemeinde_neighbours

    data_dir = Path(data_dir)
    register_file = cached_register_path(data_dir)
    known = None
    if register_file is not None:
        known = [m.ags for m in load_cached_register(data_dir).municipalities]
    result = gemeinde_neighbours(data_dir, known)
    rows = sorted(result.pairs + result.unknown)
    target = data_dir / NEIGHBOURS_FILE
    write_text_atomic(
        target, "ags_a,ags_b,shared_border_km\n" + "".join(f"{a},{b},{km:.3f}\n" for a, b, km in rows)
    )
    return {
        "file": target.name,
        "pairs": len(rows),
        "pairs_in_register": len(result.pairs) if known is not None else None,
        "pairs_not_in_register": len(result.unknown) if known is not None else None,
        "polygon_keys_not_in_register": result.unknown_keys if known is not None else None,
        "register_keys_without_polygon": result.without_polygon if known is not None else None,
        "min_shared_border_m": MIN_SHARED_BORDER_M,
        "crs": METRIC_CRS,
        "stand": result.stand,
    }


def _gpkg_levels(path: Path, source: str) -> list[Level]:
    try:
        levels = [lv for lv, _ in gpkg_layers(path)]
    except Exception as exc:
        raise FetchError.at(source, f"not a readable GeoPackage: {exc}") from exc
    if not levels:
        raise FetchError.at(
            source, f"no layer named like …_{'/_'.join(LEVEL_CODES.values())} in the GeoPackage"
        )
    return levels


def _gpkg_layer(path: Path, level: Level, source: str) -> str:
    layers = dict(gpkg_layers(path))
    if level not in layers:
        raise FetchError.at(source, f"no {level} layer in the GeoPackage")
    return layers[level]


def _read_boundaries_meta(root: Path) -> dict[str, Any] | None:
    path = root / BOUNDARIES_METADATA
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def read_boundaries_metadata(data_dir: Path) -> dict[str, Any] | None:
    """The ``boundaries/boundaries.json`` of fetched boundaries, or ``None``."""
    return _read_boundaries_meta(Path(data_dir) / BOUNDARIES_DIR)
