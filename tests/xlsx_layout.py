"""Write a workbook in the official Destatis layout from REAL rows of the shared CSV export.

The publisher's yearly edition ``3112YYYY_Auszug_GV.xlsx`` ("Alle politisch selbständigen
Gemeinden mit ausgewählten Merkmalen") has, on sheet ``Onlineprodukt_Gemeinden_DDMMYY``:

* title rows, a three-row header (with merged cells) and a row of column numbers 1–20,
  so the data starts in sheet row 7;
* one row per record, Satzart 10 Land / 20 Regierungsbezirk / 30 Region / 40 Kreis /
  50 Gemeindeverband / 60 Gemeinde, with the key parts (Land RB Kreis VB Gem) as text with
  leading zeros, area and population as numbers, the postcode as text and the centre
  coordinates as text with decimal commas;
* footnote rows below the table.

Every data row written here is a row of the publisher's CSV export in
``../shared/data/destatis/original/`` (all of them, or the rows of some Länder); nothing is
made up. The tests never copy the data into the repository: the workbook goes to a tmp dir.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from lernnetz.loaders.register import HIERARCHY_COLUMNS

#: The shared read-only reference data (``../shared/data`` next to the repository).
SHARED_DATA = Path(
    os.environ.get("LERNNETZ_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
ORIGINAL_CSV = next(iter(sorted((SHARED_DATA / "destatis" / "original").glob("AuszugGV*.csv"))), None)
CLEAN_CSV = SHARED_DATA / "destatis" / "gemeinden_gv_2020-12-31.csv"

#: Columns of the CSV export, in sheet order (A–T): the ones the parser reads, then four more.
COLUMNS = [
    *HIERARCHY_COLUMNS,
    "schluessel",
    "bezeichnung",
    "verstaedterungschluessel",
    "verstaedterungbezeichnung",
]
_FLOATS = {"flaeche"}
_INTS = {"bevoelkerung", "maennlich", "weiblich", "jekm2"}

_HEADER_1 = [
    "Satz-art",
    "Text-kenn-zeichen",
    "Amtlicher Regionalschlüssel (ARS)",
    None,
    None,
    None,
    None,
    "Gemeindename",
    "Fläche km2 1)",
    "Bevölkerung 2)",
    None,
    None,
    None,
    "Post-leit-zahl 3)",
    "Geografische Mittelpunktkoordinaten 4)",
    None,
    "Reisegebiete",
    None,
    "Grad der Verstädterung",
    None,
]
_HEADER_2 = [
    None,
    None,
    "Land",
    "RB",
    "Kreis",
    "VB",
    "Gem",
    None,
    None,
    "insgesamt",
    "männlich",
    "weiblich",
    "je km2",
    None,
    "Längengrad",
    "Breitengrad",
    "Schlüssel",
    "Bezeichnung",
    "Schlüssel",
    "Bezeichnung",
]
# Merged header cells as in the publisher's sheet (rows 3–5).
_MERGES = [
    "A3:A5",
    "B3:B5",
    "C3:G3",
    "C4:C5",
    "D4:D5",
    "E4:E5",
    "F4:F5",
    "G4:G5",
    "H3:H5",
    "I3:I5",
    "J3:M3",
    "N3:N5",
    "O3:P3",
    "Q3:R3",
    "S3:T3",
]


def read_original_rows(path: Path | None = None) -> list[dict[str, str]]:
    """All rows of the publisher's CSV export (UTF-8 with BOM), as strings."""
    source = path or ORIGINAL_CSV
    if source is None:
        raise FileNotFoundError(f"no AuszugGV*.csv in {SHARED_DATA / 'destatis' / 'original'}")
    text = source.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def rows_of_laender(rows: Iterable[dict[str, str]], laender: Iterable[str]) -> list[dict[str, str]]:
    """The real rows (every Satzart) of the given Land keys, e.g. ``{"04", "11"}``."""
    keep = set(laender)
    return [r for r in rows if r["land"] in keep]


def write_csv_export(path: Path, rows: Sequence[dict[str, str]], *, bom: bool = True) -> Path:
    """Write rows back in the CSV-export form (same header, UTF-8, BOM like the publisher)."""
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({c: r.get(c, "") for c in COLUMNS} for r in rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def _cell(column: str, value: str) -> str | int | float | None:
    text = value.strip()
    if text == "":
        return None
    if column in _FLOATS:
        return float(text.replace(" ", ""))
    if column in _INTS:
        return int(text.replace(" ", ""))
    return text  # keys, names, postcode, coordinates with decimal commas: text, as published


def sheet_name(stichtag: str) -> str:
    """``Onlineprodukt_Gemeinden_311220`` for Stichtag ``2020-12-31``."""
    y, m, d = stichtag.split("-")
    return f"Onlineprodukt_Gemeinden_{d}{m}{y[2:]}"


def write_register_xlsx(
    path: Path,
    rows: Sequence[dict[str, str]] | None = None,
    *,
    stichtag: str = "2020-12-31",
    population_date: str = "31.12.2019",
    quarter: str = "4. Quartal",
) -> Path:
    """Write ``rows`` (default: every row of the original CSV) as the official workbook."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    data = read_original_rows() if rows is None else rows
    y, m, d = stichtag.split("-")
    stichtag_de = f"{d}.{m}.{y}"
    book = Workbook(write_only=True)  # streaming: the full register (16k rows) in ~2 s
    cover = book.create_sheet("Deckblatt")
    cover.append(["Statistisches Bundesamt"])
    cover.append([])
    cover.append(["Gemeindeverzeichnis"])
    cover.append(["Alle politisch selbständigen Gemeinden mit ausgewählten Merkmalen"])
    cover.append([f"Gebietsstand: {stichtag_de} ({quarter})"])
    sheet = book.create_sheet(sheet_name(stichtag))
    heading = WriteOnlyCell(sheet, value="Gemeindeverzeichnis")
    heading.font = Font(bold=True)
    sheet.append([heading])
    sheet.append(
        [f"Alle politisch selbständigen Gemeinden mit ausgewählten Merkmalen am {stichtag_de} ({quarter})"]
    )
    sheet.append(_HEADER_1)
    sheet.append(_HEADER_2)
    sheet.append([])
    sheet.append(list(range(1, len(COLUMNS) + 1)))  # the column numbers 1–20 above the data
    for rng in _MERGES:
        sheet.merged_cells.add(rng)
    for r in data:
        sheet.append([_cell(c, r.get(c, "")) for c in COLUMNS])
    footnotes = [
        None,
        f"1) Gebietsstand: {stichtag_de}",
        f"2) Bevölkerung: Fortschreibung auf Grundlage des Zensus 2011, Stand {population_date}",
        "3) Postleitzahl des Verwaltungssitzes der Gemeinde",
        "4) Geografische Mittelpunktkoordinaten des Verwaltungssitzes (WGS84)",
        "© Statistisches Bundesamt (Destatis). Vervielfältigung und Verbreitung, auch auszugsweise, "
        "mit Quellenangabe gestattet.",
    ]
    for note in footnotes:
        sheet.append([note])
    book.save(path)
    return path
