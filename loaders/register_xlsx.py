"""The cells of the official Gemeindeverzeichnis workbook (``3112YYYY_Auszug_GV.xlsx``) as the
records of its CSV export: what :func:`lernnetz.loaders.register.parse_xlsx` parses."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lernnetz.loaders.errors import InputError

#: The record types (Satzarten) of the register's rows; other rows are title or footnotes.
_SATZARTEN = {"10", "20", "30", "40", "50", "60"}


@contextmanager
def workbook_records(
    p: Path, columns: list[str]
) -> Iterator[tuple[Iterator[tuple[int, dict[str, str]]], list[str]]]:
    """Open the workbook; yield its table rows as ``(row number, {column: text})`` (the first
    ``len(columns)`` cells, from the first Satzart row on, footnotes skipped) and the list that
    collects the title text above the table as the rows are read. A damaged workbook is an
    :class:`~lernnetz.loaders.errors.InputError` naming the file."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError.single(p, f"not a readable XLSX workbook (truncated or damaged?): {exc}") from exc
    try:
        names = [n for n in book.sheetnames if n.startswith("Onlineprodukt_Gemeinden")]
        if not names:
            raise InputError.single(
                p, f"no sheet 'Onlineprodukt_Gemeinden…'; sheets: {', '.join(book.sheetnames)}"
            )
        sheet = book[names[0]]
        title_text: list[str] = []

        def records() -> Iterator[tuple[int, dict[str, str]]]:
            started = False
            try:
                for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                    values = [_cell(v) for v in cells[: len(columns)]]
                    if not started:
                        if values and values[0] in _SATZARTEN:
                            started = True
                        else:
                            title_text.extend(v for v in values if v)
                            continue
                    if not values or values[0] == "":
                        continue
                    if values[0] not in _SATZARTEN:
                        continue  # footnotes below the table
                    values += [""] * (len(columns) - len(values))
                    yield n, dict(zip(columns, values, strict=True))
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InputError.single(p, f"the workbook is damaged or truncated: {exc}") from exc

        yield records(), title_text
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
