"""Fetch the official reference data into the cache dir, atomically, with provenance.

``fetch_register`` gets the Destatis Gemeindeverzeichnis (yearly edition
``3112YYYY_Auszug_GV.xlsx``): from the publisher, newest year first, or from ``source`` (a
local file, a folder such as ``../shared/data``, or another http(s) URL). The bytes are
streamed into a temporary file in the cache dir, checked (complete against
``Content-Length``; parsed by :func:`lernnetz.loaders.register.read_register`) and only then moved
over ``register.<ext>`` with :func:`os.replace`. A broken or interrupted transfer never leaves
a half file and never touches the previous good file. ``register.json`` beside it records the
sha256, source, Stichtag, format, size, time, counts and the dl-de/by-2-0 attribution.

The transfer itself is :mod:`lernnetz.loaders.download`; the BKG boundaries are fetched the
same way by :mod:`lernnetz.loaders.boundaries_fetch`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lernnetz.loaders.download import (
    FROM_HINT,
    LICENCE,
    FetchError,
    NotPublished,
    copy_file,
    download,
    is_url,
    now_iso,
    url_name,
    write_json_atomic,
)
from lernnetz.loaders.errors import InputError, Problem
from lernnetz.loaders.plausible import check_register_whole
from lernnetz.loaders.records import Register
from lernnetz.loaders.register import attribution, read_register, stichtag_from_name
from lernnetz.loaders.textio import remove_stale_temp_files

__all__ = [
    "DESTATIS_URL",
    "METADATA_FILE",
    "OLDEST_YEAR",
    "FetchError",
    "FetchResult",
    "cached_register_path",
    "fetch_register",
    "find_register_file",
    "is_url",
    "load_cached_register",
    "read_metadata",
    "sniff_format",
]

DESTATIS_URL = (
    "https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/"
    "Administrativ/Archiv/GVAuszugJ/3112{year}_Auszug_GV.xlsx?__blob=publicationFile"
)
#: Oldest yearly edition tried (the first with the same columns and coordinates).
OLDEST_YEAR = 2019
REGISTER_STEM = "register"
METADATA_FILE = "register.json"
#: Names of the register in a folder, by preference: official XLSX, clean CSV, CSV export.
REGISTER_PATTERNS: tuple[tuple[str, ...], ...] = (
    ("*_Auszug_GV.xlsx", "destatis/*_Auszug_GV.xlsx"),
    ("gemeinden_gv_*.csv", "destatis/gemeinden_gv_*.csv"),
    ("AuszugGV*.csv", "original/AuszugGV*.csv", "destatis/original/AuszugGV*.csv"),
)


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
            "fetched_at": now_iso(),
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
    write_json_atomic(data_dir / METADATA_FILE, metadata)
    for stale in data_dir.glob(f"{REGISTER_STEM}.*"):
        if stale.suffix in {".xlsx", ".csv"} and stale != target:
            stale.unlink(missing_ok=True)
    return FetchResult(path=target, metadata=metadata, register=register)


def _fetch_register_url(
    url: str, data_dir: Path, *, timeout: float, progress: bool, whole: bool = True
) -> FetchResult:
    tmp, sha256, size = download(url, data_dir, timeout=timeout, progress=progress)
    return _install_register(
        tmp,
        data_dir,
        source=url,
        url=url,
        sha256=sha256,
        size=size,
        stichtag_hint=stichtag_from_name(url_name(url)),
        whole=whole,
    )


#: A download temp file untouched for this long (seconds) was left by a killed fetch.
STALE_DOWNLOAD_S = 600.0


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
    remove_stale_temp_files(data_dir, older_than_s=STALE_DOWNLOAD_S, pattern=".download-*.part*")
    if source is not None:
        if is_url(source):
            return _fetch_register_url(str(source), data_dir, timeout=timeout, progress=progress, whole=whole)
        path = Path(source).expanduser()
        if not path.exists():
            raise FetchError.at(path, "no such file or folder")
        if path.is_dir():
            path = find_register_file(path)
        tmp, sha256, size = copy_file(path, data_dir, progress=progress)
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
        except NotPublished as exc:
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
