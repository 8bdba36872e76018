"""Fetch the official reference data into the cache dir, atomically, with provenance.

``fetch_register`` gets the Destatis Gemeindeverzeichnis (yearly edition
``3112YYYY_Auszug_GV.xlsx``): from the publisher, newest year first, or from ``source`` (a
local file, a folder such as ``../shared/data``, or another http(s) URL). The bytes are
streamed into a temporary file in the cache dir, checked (complete against
``Content-Length``; parsed by :func:`lernnetz.loaders.register.read_register`) and only then moved
over ``register.<ext>`` with :func:`os.replace`. A broken or interrupted transfer never leaves
a half file and never touches the previous good file. ``register.json`` beside it records the
sha256, source, Stichtag, format, size, time, counts and the dl-de/by-2-0 attribution.

``fetch_boundaries`` does the same for the BKG boundaries (VG250/VG5000) into
``boundaries/``: each fetch goes into a fresh folder that ``boundaries/boundaries.json``
points to; writing that file is the commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

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
from lernnetz.loaders.errors import InputError, Problem
from lernnetz.loaders.plausible import check_register_whole
from lernnetz.loaders.records import Register
from lernnetz.loaders.register import attribution, read_register, stichtag_from_name
from lernnetz.loaders.textio import write_text_atomic

DESTATIS_URL = (
    "https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/"
    "Administrativ/Archiv/GVAuszugJ/3112{year}_Auszug_GV.xlsx?__blob=publicationFile"
)
#: BKG VG250 (1:250,000, Gebietsstand 31.12., levels, UTM32s Shapefiles in a ZIP of about 60 MB).
BKG_VG250_URL = (
    "https://daten.gdz.bkg.bund.de/produkte/vg/vg250_ebenen_1231/aktuell/vg250_12-31.utm32s.shape.ebenen.zip"
)
#: Oldest yearly edition tried (the first with the same columns and coordinates).
OLDEST_YEAR = 2019
REGISTER_STEM = "register"
METADATA_FILE = "register.json"
LICENCE = "dl-de/by-2-0"
USER_AGENT = "lernnetz/0.1 (reference data fetch; Python urllib)"
CHUNK_BYTES = 1 << 16
FILE_MODE = 0o644
DIR_MODE = 0o755
NEIGHBOURS_FILE = "neighbours.csv"
#: HTTP statuses that mean "this edition is not published (yet)": try the year before.
NOT_PUBLISHED = frozenset({404, 410})
FROM_HINT = (
    "download the file yourself and run `lernnetz data fetch --from PATH_OR_URL` "
    "(a local file, a folder such as ../shared/data, or another URL)"
)
#: Names of the register in a folder, by preference: official XLSX, clean CSV, CSV export.
REGISTER_PATTERNS: tuple[tuple[str, ...], ...] = (
    ("*_Auszug_GV.xlsx", "destatis/*_Auszug_GV.xlsx"),
    ("gemeinden_gv_*.csv", "destatis/gemeinden_gv_*.csv"),
    ("AuszugGV*.csv", "original/AuszugGV*.csv", "destatis/original/AuszugGV*.csv"),
)


class FetchError(InputError):
    """Reference data could not be fetched: network, HTTP status, incomplete or invalid file.

    ``status`` is the HTTP status when the server answered with an error.
    """

    def __init__(self, problems: list[Problem] | Problem, *, status: int | None = None) -> None:
        super().__init__(problems)
        self.status = status

    @classmethod
    def at(cls, source: str | Path, message: str, *, status: int | None = None) -> FetchError:
        """An error about one source (URL or path)."""
        return cls(Problem(file=str(source), message=message), status=status)


class _NotPublished(FetchError):
    """The edition is not on the server (404/410, or an HTML page instead of the file)."""


@dataclass(slots=True)
class FetchResult:
    """The installed file, its metadata, and what was tried before it."""

    path: Path
    metadata: dict[str, Any]
    register: Register | None = field(default=None, repr=False)
    tried: list[tuple[str, str]] = field(default_factory=list)

    @property
    def stichtag(self) -> str:
        return str(self.metadata.get("stichtag", ""))

    @property
    def sha256(self) -> str:
        return str(self.metadata.get("sha256", ""))


# --------------------------------------------------------------------------- helpers


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def is_url(source: str | Path) -> bool:
    """True for an http(s) URL."""
    return isinstance(source, str) and urlparse(source).scheme in {"http", "https"}


def _url_name(url: str) -> str:
    return unquote(Path(urlparse(url).path).name)


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def _progress(label: str, total: int | None, enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr; a no-op when disabled or stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    show = enabled and sys.stderr.isatty()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _stream(
    reader: IO[bytes], dest_dir: Path, *, label: str, total: int | None, progress: bool, source: str
) -> tuple[Path, str, int]:
    """Copy ``reader`` into a temp file in ``dest_dir``; return (temp path, sha256, bytes).

    The temp file is removed on any failure.
    """
    import http.client

    fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=dest_dir)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    ok = False
    try:
        with os.fdopen(fd, "wb") as out, _progress(label, total, progress) as advance:
            while True:
                try:
                    chunk = reader.read(CHUNK_BYTES)
                except http.client.IncompleteRead as exc:
                    raise FetchError.at(
                        source, f"the transfer was interrupted after {size + len(exc.partial)} bytes"
                    ) from exc
                except (TimeoutError, OSError, http.client.HTTPException) as exc:
                    raise FetchError.at(
                        source, f"the transfer was interrupted after {size} bytes: {exc}"
                    ) from exc
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                advance(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if total is not None and size != total:
            raise FetchError.at(
                source,
                f"the transfer was interrupted: received {size} of {total} bytes (Content-Length); "
                "the previous file is kept",
            )
        if size == 0:
            raise FetchError.at(source, "the file is empty")
        tmp.chmod(FILE_MODE)  # mkstemp makes 0600; the cache is an ordinary readable file
        ok = True
        return tmp, digest.hexdigest(), size
    finally:
        if not ok:
            tmp.unlink(missing_ok=True)


def _open_url(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        cls = _NotPublished if exc.code in NOT_PUBLISHED else FetchError
        raise cls.at(url, f"HTTP {exc.code} {exc.reason}", status=exc.code) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError.at(url, f"network error ({reason}); no connection? {FROM_HINT}") from exc


def _download(url: str, dest_dir: Path, *, timeout: float, progress: bool) -> tuple[Path, str, int]:
    with _open_url(url, timeout) as response:
        content_type = response.headers.get_content_type()
        if content_type == "text/html":
            raise _NotPublished.at(
                url, f"the server answered with an HTML page (HTTP {response.status}), not the file"
            )
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        return _stream(
            response, dest_dir, label=_url_name(url) or url, total=total, progress=progress, source=url
        )


def _copy(path: Path, dest_dir: Path, *, progress: bool) -> tuple[Path, str, int]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise FetchError.at(path, f"cannot read the file: {exc.strerror}") from exc
    with fh:
        return _stream(
            fh, dest_dir, label=path.name, total=path.stat().st_size, progress=progress, source=str(path)
        )


# --------------------------------------------------------------------------- register


def sniff_format(path: Path) -> str:
    """``xlsx``, ``csv-export`` (all Satzarten) or ``csv-clean`` (one row per Gemeinde)."""
    with path.open("rb") as fh:
        head = fh.read(64)
    if head.startswith(b"PK"):
        return "xlsx"
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"satzart"):
        return "csv-export"
    if text.startswith(b"ags"):
        return "csv-clean"
    return "unknown"


def find_register_file(folder: Path) -> Path:
    """The register in a folder (e.g. ``../shared/data``): official XLSX, else clean CSV, else export.

    Among several editions of one form, the newest Stichtag wins.
    """
    for patterns in REGISTER_PATTERNS:
        found = {p for pattern in patterns for p in folder.glob(pattern) if p.is_file()}
        if found:
            return max(found, key=lambda p: (stichtag_from_name(p.name), p.name))
    names = ", ".join(p for group in REGISTER_PATTERNS for p in group)
    raise FetchError.at(folder, f"no register file in this folder (looked for {names})")


def _validate_register(tmp: Path, source: str, *, stichtag: str, sha256: str, url: str) -> Register:
    try:
        return read_register(tmp, stichtag=stichtag, sha256=sha256, url=url)
    except InputError as exc:
        problems = [
            Problem(
                file=source,
                message=f"not a valid Gemeindeverzeichnis: {p.message}",
                row=p.row,
                column=p.column,
                value=p.value,
            )
            for p in exc.problems
        ]
        raise FetchError(problems) from exc
    except Exception as exc:  # any parser crash on a damaged file is bad input, not a bug here
        raise FetchError.at(source, f"not a valid Gemeindeverzeichnis: {exc}") from exc


def _install_register(
    tmp: Path,
    data_dir: Path,
    *,
    source: str,
    url: str,
    sha256: str,
    size: int,
    stichtag_hint: str,
    whole: bool = True,
) -> FetchResult:
    """Validate ``tmp`` (with ``whole``: also that it is a whole register); move it over
    ``register.<ext>``; write ``register.json``."""
    try:
        fmt = sniff_format(tmp)
        if fmt == "xlsx":  # openpyxl insists on the extension
            named = tmp.with_name(tmp.name + ".xlsx")
            os.replace(tmp, named)
            tmp = named
        register = _validate_register(tmp, source, stichtag=stichtag_hint, sha256=sha256, url=url)
        if whole and (
            problem := check_register_whole(
                len(register.municipalities), {m.state_code for m in register.municipalities}
            )
        ):  # checked before anything replaces the cached register
            raise FetchError.at(source, f"{problem}; the cached register was kept")
        target = data_dir / f"{REGISTER_STEM}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
        stichtag = register.provenance.stichtag
        municipalities = register.municipalities
        metadata: dict[str, Any] = {
            "file": target.name,
            "sha256": sha256,
            "source": source,
            "url": url,
            "stichtag": stichtag,
            "population_date": register.population_date,
            "format": fmt,
            "bytes": size,
            "fetched_at": _now(),
            "counts": {
                "municipalities": len(municipalities),
                "gemeinden": sum(1 for m in municipalities if not m.is_unincorporated),
                "unincorporated": sum(1 for m in municipalities if m.is_unincorporated),
                "districts": len(register.districts),
                "states": len(register.states),
                "associations": len(register.associations),
                "population": sum(m.population for m in municipalities),
            },
            "licence": LICENCE,
            "attribution": attribution(stichtag) if stichtag else attribution("unbekannt"),
        }
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_json_atomic(data_dir / METADATA_FILE, metadata)
    for stale in data_dir.glob(f"{REGISTER_STEM}.*"):
        if stale.suffix in {".xlsx", ".csv"} and stale != target:
            stale.unlink(missing_ok=True)
    return FetchResult(path=target, metadata=metadata, register=register)


def _fetch_register_url(
    url: str, data_dir: Path, *, timeout: float, progress: bool, whole: bool = True
) -> FetchResult:
    tmp, sha256, size = _download(url, data_dir, timeout=timeout, progress=progress)
    return _install_register(
        tmp,
        data_dir,
        source=url,
        url=url,
        sha256=sha256,
        size=size,
        stichtag_hint=stichtag_from_name(_url_name(url)),
        whole=whole,
    )


#: A download temp file untouched for this long (seconds) was left by a killed fetch.
STALE_DOWNLOAD_S = 600.0


def _remove_stale_downloads(data_dir: Path) -> None:
    """Delete the ``.download-*.part`` files of fetches killed mid-transfer (a live fetch keeps
    writing to its file, so a file untouched for :data:`STALE_DOWNLOAD_S` is abandoned)."""
    cutoff = time.time() - STALE_DOWNLOAD_S
    for part in data_dir.glob(".download-*.part*"):
        with contextlib.suppress(OSError):
            if part.stat().st_mtime < cutoff:
                part.unlink()


def fetch_register(
    data_dir: Path,
    source: str | Path | None = None,
    *,
    years: Iterable[int] | None = None,
    progress: bool = True,
    timeout: float = 60,
    base_url: str = DESTATIS_URL,
    whole: bool = True,
) -> FetchResult:
    """Fetch the register into ``data_dir`` and return what was installed.

    Without ``source``: the publisher's yearly edition, newest first (last year down to
    :data:`OLDEST_YEAR`, or ``years``), from ``base_url`` (``{year}`` is filled in). An
    edition that is not published (HTTP 404/410, or an HTML page) is skipped; any other
    failure (network, other HTTP status, interrupted transfer, invalid file) stops with a
    :class:`FetchError`. With ``source``: that URL, file or folder.

    ``whole`` (default): refuse, before the cache is touched, a register that is not a
    plausible whole (fewer than 10,000 Gemeinden or not all 16 Länder, e.g. a 100-row
    extract that would make every later ``load`` fail); ``whole=False`` accepts an extract.
    """
    data_dir = Path(data_dir).expanduser()
    data_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_downloads(data_dir)
    if source is not None:
        if is_url(source):
            return _fetch_register_url(str(source), data_dir, timeout=timeout, progress=progress, whole=whole)
        path = Path(source).expanduser()
        if not path.exists():
            raise FetchError.at(path, "no such file or folder")
        if path.is_dir():
            path = find_register_file(path)
        tmp, sha256, size = _copy(path, data_dir, progress=progress)
        return _install_register(
            tmp,
            data_dir,
            source=str(path.resolve()),
            url="",
            sha256=sha256,
            size=size,
            stichtag_hint=stichtag_from_name(path.name),
            whole=whole,
        )
    chosen = (
        list(years) if years is not None else list(range(datetime.now(UTC).year - 1, OLDEST_YEAR - 1, -1))
    )
    tried: list[tuple[str, str]] = []
    for year in chosen:
        url = base_url.format(year=year)
        try:
            result = _fetch_register_url(url, data_dir, timeout=timeout, progress=progress, whole=whole)
        except _NotPublished as exc:
            tried.append((url, exc.problems[0].message))
            continue
        result.tried = tried
        return result
    problems = [Problem(file=u, message=f"{reason}: not published") for u, reason in tried]
    span = f"{chosen[0]}–{chosen[-1]}" if chosen else "(none)"
    problems.append(
        Problem(
            file=base_url,
            message=f"no edition of the Gemeindeverzeichnis found for the years {span}; {FROM_HINT}",
        )
    )
    raise FetchError(problems)


def read_metadata(data_dir: Path) -> dict[str, Any] | None:
    """The ``register.json`` of the cached register, or ``None`` before the first fetch."""
    path = Path(data_dir) / METADATA_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError.single(
            path, f"unreadable metadata ({exc}); run `lernnetz data fetch` again"
        ) from exc
    if not isinstance(data, dict):
        raise InputError.single(
            path, "unreadable metadata (not a JSON object); run `lernnetz data fetch` again"
        )
    return data


def cached_register_path(data_dir: Path) -> Path | None:
    """The cached register file, or ``None`` when nothing has been fetched."""
    data_dir = Path(data_dir)
    meta = read_metadata(data_dir)
    if meta and (data_dir / str(meta.get("file", ""))).is_file():
        return data_dir / str(meta["file"])
    for ext in ("xlsx", "csv"):
        candidate = data_dir / f"{REGISTER_STEM}.{ext}"
        if candidate.is_file():
            return candidate
    return None


def load_cached_register(data_dir: Path) -> Register:
    """Parse the cached register with the provenance recorded at fetch time."""
    path = cached_register_path(data_dir)
    if path is None:
        raise InputError.single(
            Path(data_dir) / f"{REGISTER_STEM}.xlsx",
            f"no register fetched yet; run `lernnetz data fetch` ({FROM_HINT})",
        )
    meta = read_metadata(data_dir) or {}
    return read_register(
        path,
        stichtag=str(meta.get("stichtag", "")),
        sha256=str(meta.get("sha256", "")),
        url=str(meta.get("url", "") or meta.get("source", "")),
    )


# --------------------------------------------------------------------------- boundaries


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
        tmp, _sha, _size = _copy(part, staging, progress=progress)
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
            tmp, _sha, _size = _download(url, staging, timeout=timeout, progress=progress)
            name = _url_name(url)
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
                        tmp, _sha, _size = _copy(src, staging, progress=progress)
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
                "sha256": _sha256(path),
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
            "fetched_at": _now(),
            "licence": LICENCE,
            "attribution": bkg_attribution(stand),
        }
        _write_json_atomic(root / BOUNDARIES_METADATA, metadata)
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
        _write_json_atomic(root / BOUNDARIES_METADATA, metadata)
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
