"""Read the tables analysts hand in (CSV or XLSX, as German Excel writes them), streaming.

:func:`read_table` yields ``(row number, cells)`` one row at a time, so memory does not
depend on the file's length or on the size a sheet *declares*:

* **CSV**: the encoding is found by a first streaming pass: UTF-8 (with or without BOM),
  else Windows-1252, else Latin-1; UTF-16 with a byte-order mark (Excel's "Unicode text") is
  read as such; UTF-16 without one is refused by name. The delimiter is the one of ``;``,
  ``,`` and tab the header line uses most. Row numbers are the lines a person sees in an
  editor (the header is row 1).
* **XLSX**: the first sheet, or ``sheet`` by name or 1-based number; streamed with
  openpyxl's read-only mode. The sheet's declared dimensions are ignored (a 5 KB file can
  declare 1,048,576 × 16,384 cells): only rows the file really holds are read, at most
  :data:`MAX_COLUMNS` columns of each, empty rows are skipped, and trailing empty cells are
  dropped. Cells are read as Excel shows them (cached formula results; dates as ISO dates).
* The header is the first of the first 10 non-empty rows that names at least two known
  columns (``is_known``). At most :data:`MAX_ROWS` data rows: a longer file is refused with
  that limit named (split it), before anything is imported.

Cells come back as stripped strings (numbers without a trailing ``.0``), short rows padded to
the header's width; a row with more cells than the header keeps them (:func:`extra_cells`). A cell longer than
:data:`MAX_CELL_CHARS` or holding a NUL byte is the caller's to reject (see :func:`cell_problem`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lernnetz.loaders.errors import InputError
from lernnetz.loaders.namefold import fold
from lernnetz.loaders.textio import looks_like_utf16

#: Most data rows a list may have (a registration list has hundreds; split bigger files).
MAX_ROWS = 100_000
#: Columns read per XLSX row (anything to the right is ignored and never allocated).
MAX_COLUMNS = 256
#: Longest cell accepted (characters); longer cells are rejected with their row and column.
MAX_CELL_CHARS = 10_000
#: Rows searched for the header.
HEADER_SEARCH_ROWS = 10

csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # long cells are judged per row


@dataclass(slots=True)
class Table:
    """A table being read: header, where it is, how the file was decoded, and the rows."""

    path: Path
    header: list[str]
    header_row: int
    encoding: str
    delimiter: str = ""
    sheet: str = ""
    rows: Iterator[tuple[int, list[str]]] = field(default_factory=lambda: iter(()))


def header_key(text: str) -> str:
    """A column name folded for alias matching (case, umlauts, spaces, ``_`` and ``-`` ignored)."""
    return re.sub(r"[\s_\-]+", " ", fold(str(text))).strip()


def cell_text(v: Any) -> str:
    """A cell as text: None → "", dates as ISO, whole floats without ``.0``."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return str(v).upper()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def extra_cells(values: list[str], width: int) -> str | None:
    """Why a row with non-empty cells right of the header is refused (an unquoted ``;``?), or None."""
    extra = [v for v in values[width:] if v]
    if not extra:
        return None
    return (f"{len(extra)} value(s) right of the last column ({', '.join(extra)[:60]}): a separator inside an "
            "unquoted cell? quote the cell or use another separator")  # fmt: skip


def cell_problem(value: str) -> str | None:
    """Why a cell cannot be taken (too long, NUL byte), or None."""
    if len(value) > MAX_CELL_CHARS:
        return f"the cell has {len(value):,} characters (at most {MAX_CELL_CHARS:,})"
    if "\x00" in value:
        return "the cell holds a NUL byte (a binary file, or UTF-16 saved without a byte-order mark?)"
    return None


def read_table(
    path: Path, is_known: Callable[[str], bool], *, sheet: str | None = None, max_rows: int = MAX_ROWS
) -> Table:
    """Open a CSV or XLSX table and find its header; rows are read as they are consumed."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise InputError.single(path, f"cannot read the file: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or head.startswith(b"PK\x03\x04"):
        return _xlsx_table(path, is_known, sheet, max_rows)
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError.single(
            path, "old Excel .xls files are not supported; save the sheet as .xlsx or CSV"
        )
    if head.startswith(b"%PDF"):
        raise InputError.single(path, "this is a PDF, not a CSV or XLSX table")
    if sheet:
        raise InputError.single(path, f"--sheet {sheet!r} applies to XLSX workbooks; this is a CSV file")
    return _csv_table(path, head, is_known, max_rows)


# ---------------------------------------------------------------------------- CSV


def detect_encoding(path: Path, head: bytes) -> str:
    """The encoding of a text file (see the module docstring); InputError for UTF-16 without BOM."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if looks_like_utf16(head):
        raise InputError.single(
            path,
            "this looks like a UTF-16 text file without a byte-order mark; save it as CSV UTF-8 "
            "(Excel: 'CSV UTF-8 (durch Trennzeichen getrennt)')",
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}  # bytes Windows-1252 leaves undefined
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if undefined.intersection(chunk):
                return "latin-1"
    return "windows-1252"


def _csv_table(path: Path, head: bytes, is_known: Callable[[str], bool], max_rows: int) -> Table:
    encoding = detect_encoding(path, head)
    fh = path.open(encoding=encoding, newline="")
    try:
        first = fh.readline()
        while first and not first.strip():
            first = fh.readline()
        if not first.strip():
            raise InputError.single(path, "the file is empty")
        delimiter = max((";", ",", "\t"), key=first.count)
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        rows = _csv_rows(path, reader, fh)
        header, header_row = _find_header(path, rows, is_known)
    except BaseException:
        fh.close()
        raise
    return Table(
        path, header, header_row, encoding, delimiter, "", _limited(path, rows, len(header), max_rows)
    )


def _csv_rows(path: Path, reader: Any, fh: Any) -> Iterator[tuple[int, list[str]]]:
    line = 1
    try:
        for values in reader:
            start, line = line, reader.line_num + 1
            cells = [v.strip() for v in values]
            if any(cells):
                yield start, cells
    except csv.Error as exc:
        raise InputError.single(path, f"not a readable CSV file: {exc}", row=line) from exc
    except UnicodeDecodeError as exc:
        raise InputError.single(
            path, f"the file is not readable as {fh.encoding}: {exc.reason}", row=line
        ) from exc
    finally:
        fh.close()


# ---------------------------------------------------------------------------- XLSX


def _xlsx_table(path: Path, is_known: Callable[[str], bool], sheet: str | None, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise InputError.single(path, f"not a readable XLSX workbook (truncated or damaged?): {exc}") from exc
    try:
        ws = _pick_sheet(path, wb, sheet)
        ws.reset_dimensions()  # never trust the declared size: read what the file holds
        rows = _xlsx_rows(path, ws, wb)
        header, header_row = _find_header(path, rows, is_known)
    except BaseException:
        wb.close()
        raise
    return Table(path, header, header_row, "xlsx", "", ws.title, _limited(path, rows, len(header), max_rows))


def _pick_sheet(path: Path, wb: Any, sheet: str | None) -> Any:
    names = list(wb.sheetnames)
    if not names:
        raise InputError.single(path, "the workbook has no sheet")
    if not sheet:
        return wb[names[0]]
    if sheet in names:
        return wb[sheet]
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return wb[names[int(sheet) - 1]]
    raise InputError.single(path, f"no sheet {sheet!r}; the workbook has: {', '.join(names)}", value=sheet)


def _xlsx_rows(path: Path, ws: Any, wb: Any) -> Iterator[tuple[int, list[str]]]:
    n = 0
    try:
        for n, values in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                yield n, cells
    except InputError:
        raise
    except Exception as exc:
        raise InputError.single(
            path, f"not a readable XLSX workbook (truncated or damaged?): {exc}", row=n + 1
        ) from exc
    finally:
        wb.close()


# ---------------------------------------------------------------------------- shared


def _find_header(
    path: Path, rows: Iterator[tuple[int, list[str]]], is_known: Callable[[str], bool]
) -> tuple[list[str], int]:
    first: list[str] | None = None
    some: tuple[list[str], int] | None = None  # the first row naming one known column
    for seen, (n, cells) in enumerate(rows, start=1):
        first = first or cells
        known = sum(1 for c in cells if c and is_known(c))
        if known >= 2:
            return cells, n
        if known and some is None:
            some = (cells, n)
        if seen >= HEADER_SEARCH_ROWS:
            break
    if some is not None:
        return some  # the caller names the missing columns
    if first is None:
        raise InputError.single(
            path, "the file is empty" if path.suffix.lower() != ".xlsx" else "the sheet is empty"
        )
    raise InputError.single(
        path,
        f"no header row found in the first {HEADER_SEARCH_ROWS} rows (first row: {', '.join(first)[:200]})",
        row=1,
    )


def _limited(
    path: Path, rows: Iterator[tuple[int, list[str]]], width: int, max_rows: int
) -> Iterator[tuple[int, list[str]]]:
    for count, (n, cells) in enumerate(rows, start=1):
        if count > max_rows:
            raise InputError.single(
                path,
                f"more than {max_rows:,} data rows; split the list into files of at most {max_rows:,} rows",
                row=n,
            )
        yield (
            n,
            cells + [""] * (width - len(cells)) if len(cells) < width else cells,
        )  # longer rows: the caller's
