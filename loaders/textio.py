"""Decode text files strictly and read CSV rows with the line numbers a person sees."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from loaders.errors import InputError

UTF8_BOM = b"\xef\xbb\xbf"


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
    if b"\x00" in raw[:4096]:
        raise InputError.single(path, "this is a binary file, not a UTF-8 text/CSV file")
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


def write_text_atomic(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write UTF-8 ``text`` to a temp file beside ``path`` and move it over ``path``: readers
    see the old file or the new one, never a half-written one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
