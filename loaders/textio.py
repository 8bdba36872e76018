"""Decode text files strictly and read CSV rows with the line numbers a person sees."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from lernnetz.loaders.errors import InputError

UTF8_BOM = b"\xef\xbb\xbf"


#: The suffix of every temp file :func:`atomic_writer` creates.
TEMP_SUFFIX = ".tmp"


def looks_like_utf16(head: bytes) -> bool:
    """Whether bytes without a byte-order mark look like UTF-16 text: a NUL in (nearly) every
    other byte, none in the others (unlike binary files such as PNG)."""
    if len(head) < 8:
        return False
    even, odd = head[0::2], head[1::2]
    z_even, z_odd = even.count(0), odd.count(0)
    return (z_odd >= 0.9 * len(odd) and z_even <= 0.05 * len(even)) or (
        z_even >= 0.9 * len(even) and z_odd <= 0.05 * len(odd)
    )


def read_text(path: Path) -> str:
    """Return the file's text as UTF-8.

    A UTF-8 byte-order mark is accepted and removed (the publisher's own CSV export
    carries one). Any other encoding, e.g. Latin-1, is an :class:`InputError` naming
    the line and the offending bytes.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.single(path, f"cannot read the file: {exc.strerror}") from exc
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    if not raw.strip():
        raise InputError.single(path, "the file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or looks_like_utf16(raw[:4096]):
        raise InputError.single(path, "this is a UTF-16 text file; save it as UTF-8 (Excel: 'CSV UTF-8')")
    if b"\x00" in raw:
        nul = raw.index(b"\x00")
        raise InputError.single(
            path, "the file holds a NUL byte (binary data in a text file?)", row=raw.count(b"\n", 0, nul) + 1
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 4]
        raise InputError.single(
            path,
            "the file is not UTF-8 (Latin-1/Windows-1252?); save it as UTF-8",
            row=line,
            value=bad.decode("latin-1"),
        ) from exc


def csv_rows(
    path: Path, required: list[str], *, delimiter: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, row)`` from a UTF-8 CSV file with a header.

    The row number is the line number of the row's first line (the header is row 1).
    Missing required columns raise one :class:`InputError` naming them.
    """
    text = read_text(path)
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError.single(path, "the file is empty") from None
    except csv.Error as exc:
        raise InputError.single(path, f"not a readable CSV file: {exc}", row=1) from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError.single(
            path,
            f"missing column(s) {', '.join(missing)}; found: {', '.join(header)}",
            row=1,
            column=missing[0],
        )
    line = reader.line_num + 1
    try:
        for values in reader:
            start = line
            line = reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise InputError.single(
                    path,
                    f"expected {len(header)} fields, found {len(values)}",
                    row=start,
                    value=",".join(values)[:80],
                )
            yield start, dict(zip(header, values, strict=True))
    except csv.Error as exc:
        raise InputError.single(path, f"not a readable CSV file: {exc}", row=line) from exc


@contextmanager
def atomic_writer(path: Path, *, binary: bool = False, mode: int = 0o644) -> Iterator[IO[Any]]:
    """The one way lernnetz writes a file: into a temp file beside ``path`` (flushed and
    fsynced), then moved over ``path``. Readers see the old file or the new one, never a
    half-written one; on any error the temp file is removed and ``path`` is untouched.
    Temp files are named ``.<name>.<random>.tmp`` (:func:`remove_stale_temp_files` sweeps
    those a killed process left behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(mode)  # mkstemp creates 0600; our files are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str, *, mode: int = 0o644) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, mode=mode) as fh:
        fh.write(text)
    return path


def write_bytes_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, binary=True, mode=mode) as fh:
        fh.write(data)
    return path


def remove_stale_temp_files(
    folder: Path, *, older_than_s: float = 3600.0, pattern: str = f".*{TEMP_SUFFIX}"
) -> int:
    """Remove temp files (``pattern``: those of :func:`atomic_writer` by default) that a killed process left in ``folder``
    (older than ``older_than_s``, so a writer still at work keeps its file). Returns the count."""
    import time

    removed = 0
    cutoff = time.time() - older_than_s
    for f in folder.glob(pattern) if folder.is_dir() else []:
        try:
            if f.stat().st_mtime < cutoff:
                f.unlink()
                removed += 1
        except OSError:
            continue
    return removed


#: Leading characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A cell as text that Excel and LibreOffice will not run: a string starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe (OWASP's advice
    for CSV injection). Numbers and other values pass unchanged, so ``-3.5`` stays a number.
    Every CSV/XLSX lernnetz writes (tables, rejects, ledger exports) goes through this."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def check_writable_file(path: Path, what: str = "output file") -> None:
    """Raise :class:`InputError` unless ``path`` can be written as a file (not a folder, its
    nearest existing folder writable). Call it before committing anything that ends by
    writing ``path``, so a bad path is refused while nothing has changed yet."""
    if path.is_dir():
        raise InputError.single(path, f"the {what} is a folder; give a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise InputError.single(path, f"the {what} exists and is not writable")
        return
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise InputError.single(path, f"the {what} cannot be created: {folder} is not a writable folder")


def write_csv_atomic(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    cell: Callable[[object], object] = neutralise_cell,
) -> Path:
    """Write a UTF-8 CSV (``header`` then ``rows``) atomically; every cell goes through ``cell``
    (by default :func:`neutralise_cell`, so no spreadsheet runs a formula from it). The one way
    the loaders and the ledgers write their CSV files (rejects, resolution, mapping, ledgers)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows([cell(v) for v in row] for row in rows)
    return write_text_atomic(path, out.getvalue())
