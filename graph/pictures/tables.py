"""The one table renderer for the CLI and the API: CSV (plain or for German Excel) and XLSX.

* **Cells are text people read, never JSON**: a list becomes its items joined with ``"; "``
  (dicts inside a list by their ``name``/``id``), a dict ``key=value; …``, missing values
  (None, NaN, NaT, ``pd.NA``) an empty cell, booleans ``true``/``false`` (CSV) or real
  booleans (XLSX), timestamps ISO text.
* **Numbers are formatted clearly**: integers as they are, floats with at most
  :data:`FLOAT_DECIMALS` decimals and no trailing zeros (``12.5``, not ``12.500000000000002``).
* **Two CSV dialects**: ``plain`` (RFC 4180: ``,``, ``.`` as decimal mark, UTF-8 without BOM)
  and ``excel`` (what German Excel opens by double-click: ``;``, decimal comma, UTF-8 with BOM,
  CRLF line ends).
* **XLSX**: one sheet per table (names cut to Excel's 31 characters), numbers stay numbers,
  the header row bold and frozen, plus a sheet ``Quelle`` with source, licence note, creation
  time and row counts.
* Every cell passes :func:`lernnetz.loaders.textio.neutralise_cell` (no formula injection).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from lernnetz.graph.jsonsafe import py
from lernnetz.loaders.textio import neutralise_cell

CsvDialect = Literal["plain", "excel"]
CSV_DIALECTS: tuple[CsvDialect, ...] = ("plain", "excel")
FLOAT_DECIMALS = 6
SOURCE_SHEET = "Quelle"


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _item(v: Any) -> str:
    if isinstance(v, Mapping):
        return str(
            v.get("name")
            or v.get("label")
            or v.get("id")
            or "; ".join(f"{k}={_item(x)}" for k, x in v.items())
        )
    return text_cell(v, decimal=".")


def format_float(v: float, *, decimal: str = ".") -> str:
    """A float with at most :data:`FLOAT_DECIMALS` decimals, no trailing zeros, no exponent."""
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    text = f"{round(v, FLOAT_DECIMALS):.{FLOAT_DECIMALS}f}".rstrip("0").rstrip(".")
    text = "0" if text in {"-0", ""} else text
    return text.replace(".", decimal) if decimal != "." else text


def text_cell(value: Any, *, decimal: str = ".") -> str:
    """One cell as the text a person reads (see the module docstring); not yet neutralised."""
    v = py(value)
    if _missing(v):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_float(v, decimal=decimal)
    if isinstance(v, list | tuple | set):
        return "; ".join(_item(x) for x in v)
    if isinstance(v, Mapping):
        return "; ".join(f"{k}={_item(x)}" for k, x in v.items())
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def csv_cell(value: Any, *, decimal: str = ".") -> str:
    """One CSV cell: numbers formatted (a negative number stays a number), text neutralised."""
    v = py(value)
    if isinstance(v, int | float) and not _missing(v):
        return text_cell(v, decimal=decimal)
    return str(neutralise_cell(text_cell(v, decimal=decimal)))


def to_csv(df: pd.DataFrame, dialect: CsvDialect = "plain") -> bytes:
    """The table as CSV bytes in ``dialect`` (``plain`` or ``excel``, see the module docstring)."""
    if dialect not in CSV_DIALECTS:
        raise ValueError(f"unknown CSV dialect {dialect!r} (plain or excel)")
    excel = dialect == "excel"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    w.writerow([neutralise_cell(str(c)) for c in df.columns])
    decimal = "," if excel else "."
    for row in df.itertuples(index=False, name=None):
        w.writerow([csv_cell(v, decimal=decimal) for v in row])
    text = buf.getvalue()
    return ("\ufeff" + text).encode("utf-8") if excel else text.encode("utf-8")


def read_csv(data: bytes, dialect: CsvDialect = "plain") -> pd.DataFrame:
    """Read a table written by :func:`to_csv` back (all cells as text; empty cells as "")."""
    excel = dialect == "excel"
    return pd.read_csv(
        io.BytesIO(data),
        sep=";" if excel else ",",
        encoding="utf-8-sig",
        dtype=str,
        keep_default_na=False,
    )


def _xlsx_value(v: Any) -> Any:
    v = py(v)
    if _missing(v):
        return None
    if isinstance(v, bool | int):
        return v
    if isinstance(v, float):
        return round(v, FLOAT_DECIMALS) if math.isfinite(v) else text_cell(v)
    return neutralise_cell(text_cell(v))


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel sheet name (≤ 31 characters, none of ``[]:*?/\\``), unique among ``taken``."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'") or "Tabelle"
    base = base[:31]
    out, i = base, 2
    while out.lower() in {t.lower() for t in taken}:
        out = f"{base[: 31 - len(str(i)) - 1]}-{i}"
        i += 1
    taken.add(out)
    return out


def to_xlsx(
    tables: Mapping[str, pd.DataFrame],
    *,
    source: str = "lernnetz",
    attribution: str = "",
    notes: Mapping[str, str] | None = None,
) -> bytes:
    """An XLSX workbook: one sheet per table, then the sheet ``Quelle`` (source and attribution)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    default = wb.active
    taken: set[str] = {SOURCE_SHEET}
    names: list[tuple[str, str, int]] = []
    for title, df in tables.items():
        ws = wb.create_sheet(sheet_name(title, taken))
        ws.append([neutralise_cell(str(c)) for c in df.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in df.itertuples(index=False, name=None):
            ws.append([_xlsx_value(v) for v in row])
        ws.freeze_panes = "A2"
        for i, c in enumerate(df.columns, start=1):
            width = max([len(str(c))] + [len(text_cell(v)) for v in df[c].head(200)]) + 2
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, max(8, width))
        names.append((title, ws.title, len(df)))
    if default is not None:
        wb.remove(default)
    src = wb.create_sheet(SOURCE_SHEET)
    src.append(["Feld / field", "Wert / value"])
    for cell in src[1]:
        cell.font = Font(bold=True)
    src.append(["Quelle / source", neutralise_cell(source)])
    src.append(["Daten / attribution", neutralise_cell(attribution)])
    src.append(["Erstellt / created (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")])
    for title, sheet, n in names:
        src.append([f"Tabelle / table {sheet}", f"{n} Zeilen / rows ({neutralise_cell(title)})"])
    for k, v in (notes or {}).items():
        src.append([neutralise_cell(str(k)), neutralise_cell(str(v))])
    src.column_dimensions["A"].width = 28
    src.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(data: bytes) -> dict[str, pd.DataFrame]:
    """Every sheet of an XLSX written by :func:`to_xlsx` (``Quelle`` included), as read by pandas."""
    return pd.read_excel(io.BytesIO(data), sheet_name=None)


def write_xlsx(path: str | Path, tables: Mapping[str, pd.DataFrame], **kw: Any) -> Path:
    """Write :func:`to_xlsx` to ``path`` atomically."""
    from lernnetz.loaders.textio import write_bytes_atomic

    return write_bytes_atomic(Path(path), to_xlsx(tables, **kw))
