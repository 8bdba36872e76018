"""The official register on ../shared/data: real figures, three identical forms, bad input.

Every bad file is built in ``tmp_path`` from REAL rows of the shared files; nothing is made up.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import pytest

from lernnetz.loaders.errors import InputError
from lernnetz.loaders.records import GERMANY_BBOX, Register
from lernnetz.loaders.register import parse_xlsx, read_register
from tests.xlsx_layout import (
    CLEAN_CSV,
    ORIGINAL_CSV,
    read_original_rows,
    rows_of_laender,
    sheet_name,
    write_csv_export,
    write_register_xlsx,
)


@pytest.fixture(scope="module")
def original_rows() -> list[dict[str, str]]:
    """Every row of the publisher's CSV export (all Satzarten)."""
    return read_original_rows()


@pytest.fixture(scope="module")
def full_xlsx(tmp_path_factory: pytest.TempPathFactory, original_rows: list[dict[str, str]]) -> Path:
    """The whole register written in the official workbook layout (no date in the file name)."""
    return write_register_xlsx(tmp_path_factory.mktemp("xlsx") / "register.xlsx", original_rows)


@pytest.fixture(scope="module")
def small_xlsx(tmp_path_factory: pytest.TempPathFactory, original_rows: list[dict[str, str]]) -> Path:
    """Real rows of Bremen, Saarland and Berlin in the official layout."""
    rows = rows_of_laender(original_rows, {"04", "10", "11"})
    return write_register_xlsx(tmp_path_factory.mktemp("xlsx") / "31122020_Auszug_GV.xlsx", rows)


def _one(exc: pytest.ExceptionInfo[InputError]):  # type: ignore[no-untyped-def]
    assert len(exc.value.problems) >= 1
    return exc.value.problems[0]


def _clean_lines() -> list[str]:
    return CLEAN_CSV.read_text(encoding="utf-8").splitlines(keepends=True)


# --------------------------------------------------------------------------- real figures


def test_real_figures(register: Register) -> None:
    """Done-when figures of issue 2 on the clean CSV (Stichtag 31.12.2020, population 31.12.2019)."""
    ms = register.municipalities
    assert len(ms) == 11_004
    types = Counter(m.type_code for m in ms)
    assert sum(1 for m in ms if not m.is_unincorporated) == 10_794
    assert sum(1 for m in ms if m.is_unincorporated) == 210
    assert types["65"] == 2 and types["66"] == 208
    assert {m.ags for m in ms if m.type_code == "65"} == {"03358501", "03351501"}
    assert len(register.districts) == 401
    assert len(register.states) == 16
    assert sum(m.population for m in ms) == 83_166_711
    assert register.provenance.stichtag == "2020-12-31"
    assert "Destatis" in register.provenance.attribution
    assert "31.12.2020" in register.provenance.attribution
    # every point lies in Germany; only the three special 999 areas have none
    no_point = sorted(m.ags for m in ms if m.lat is None)
    assert no_point == ["07000999", "10042999", "13000999"]
    # two of them carry a Kreis key that exists nowhere (07000, 13000); 10042999 is listed
    # under Landkreis Merzig-Wadern (10042) in the publisher's file and keeps it
    assert sorted(m.ags for m in ms if m.district_key is None) == ["07000999", "13000999"]
    lat_min, lat_max, lon_min, lon_max = GERMANY_BBOX
    assert all(lat_min <= m.lat <= lat_max for m in ms if m.lat is not None)
    assert all(lon_min <= m.lon <= lon_max for m in ms if m.lon is not None)


def test_figures_per_land_match_the_laender_file(register: Register, shared_data: Path) -> None:
    """Counts per Land agree with the publisher-derived Länder table."""
    import pandas as pd

    laender = pd.read_csv(shared_data / "destatis" / "laender_gv_2020-12-31.csv", dtype=str)
    code_col = next(c for c in laender.columns if c in {"land_code", "ags", "land"})
    per_land = Counter(m.state_code for m in register.municipalities if not m.is_unincorporated)
    kreise = Counter(d.state_code for d in register.districts)
    gem_col = next(c for c in laender.columns if c.startswith("anzahl_gemeinden"))
    krs_col = next(c for c in laender.columns if c.startswith("anzahl_kreise"))
    for _, row in laender.iterrows():
        code = row[code_col].zfill(2)
        assert per_land[code] == int(row[gem_col]), code
        assert kreise[code] == int(row[krs_col]), code


# --------------------------------------------------------------------------- three forms


def test_three_forms_give_identical_records(register: Register, full_xlsx: Path) -> None:
    """Official XLSX layout (written from the full original CSV), CSV export and clean CSV agree."""
    assert ORIGINAL_CSV is not None
    export = read_register(ORIGINAL_CSV)
    xlsx = read_register(full_xlsx)
    for other in (export, xlsx):
        assert other.municipalities == register.municipalities
        assert other.districts == register.districts
        assert other.states == register.states
        assert other.associations == register.associations
        assert other.provenance.stichtag == "2020-12-31"
    assert len(xlsx.municipalities) == 11_004
    assert sum(m.population for m in xlsx.municipalities) == 83_166_711


def test_xlsx_layout_is_the_official_one(small_xlsx: Path, original_rows: list[dict[str, str]]) -> None:
    """The helper writes the publisher's layout: named sheet, data from row 7, text keys, footnotes."""
    import openpyxl

    written = rows_of_laender(original_rows, {"04", "10", "11"})
    book = openpyxl.load_workbook(small_xlsx, read_only=True)
    try:
        assert book.sheetnames == ["Deckblatt", sheet_name("2020-12-31")]
        assert sheet_name("2020-12-31") == "Onlineprodukt_Gemeinden_311220"
        rows = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    finally:
        book.close()
    assert "am 31.12.2020" in str(rows[1][0])
    assert rows[3][2:7] == ("Land", "RB", "Kreis", "VB", "Gem")
    first = rows[6]
    assert first[0] == written[0]["satzart"] == "10"
    assert first[7] == written[0]["gemeindename"] == "Bremen"
    data = [r for r in rows[6:] if r and r[0] in {"10", "20", "30", "40", "50", "60"}]
    assert len(data) == len(written)
    gem = next(r for r in data if r[0] == "60")
    assert isinstance(gem[2], str) and gem[2].startswith("0")  # key parts as text, leading zeros
    assert isinstance(gem[8], float) and isinstance(gem[9], int)  # area, population as numbers
    assert isinstance(gem[14], str) and "," in gem[14]  # coordinates with decimal commas
    assert any(r and isinstance(r[0], str) and r[0].startswith("1)") for r in rows[6 + len(data) :])


def test_xlsx_stichtag_from_title_and_sheet_row_numbers(small_xlsx: Path, tmp_path: Path) -> None:
    """Without a date in the file name the Stichtag comes from the title; errors name sheet rows."""
    renamed = tmp_path / "download.xlsx"
    renamed.write_bytes(small_xlsx.read_bytes())
    reg = parse_xlsx(renamed)
    assert reg.provenance.stichtag == "2020-12-31"
    assert {s.code for s in reg.states} == {"04", "10", "11"}


def test_xlsx_subset_equals_the_same_rows_from_the_csv(small_xlsx: Path, register: Register) -> None:
    reg = read_register(small_xlsx)
    expected = [m for m in register.municipalities if m.state_code in {"04", "10", "11"}]
    assert reg.municipalities == expected
    assert len(expected) == 2 + 53 + 1


# --------------------------------------------------------------------------- bad input


def _png_bytes() -> bytes:
    """A real (1x1 pixel) PNG image."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_wrong_file_type_png(tmp_path: Path) -> None:
    path = tmp_path / "gemeinden.csv"
    path.write_bytes(_png_bytes())
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert "binary" in p.message
    assert str(path) in str(exc.value)


def test_wrong_file_type_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "31122020_Auszug_GV.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(CLEAN_CSV, "gemeinden.csv")
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert "XLSX" in p.message


def test_wrong_file_type_old_xls(tmp_path: Path) -> None:
    path = tmp_path / "31122020_Auszug_GV.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)  # OLE2 compound file header
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert ".xls" in p.message and ".xlsx" in p.message


def test_latin1_instead_of_utf8(tmp_path: Path) -> None:
    lines = _clean_lines()[:200]
    text = "".join(lines)
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    path.write_bytes(text.encode("latin-1"))
    first_bad_line = next(i for i, line in enumerate(lines, start=1) if not line.isascii())
    bad_char = next(ch for ch in lines[first_bad_line - 1] if not ch.isascii())
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert p.row == first_bad_line
    assert p.value is not None and p.value.startswith(bad_char)
    assert "UTF-8" in p.message


def test_utf8_with_bom_is_accepted(tmp_path: Path, register: Register) -> None:
    """A UTF-8 byte-order mark is ACCEPTED, not rejected.

    Decision: the publisher's own CSV export (``destatis/original/AuszugGV…csv``) carries a BOM,
    and Excel writes one when saving "CSV UTF-8". Rejecting it would reject the official file,
    so the parser strips the BOM and the result must be identical to the file without it.
    """
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CLEAN_CSV.read_bytes())
    reg = read_register(path)
    assert reg.municipalities == register.municipalities
    assert reg.districts == register.districts
    assert ORIGINAL_CSV is not None and ORIGINAL_CSV.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_without_bom_equals_with_bom(tmp_path: Path, original_rows: list[dict[str, str]]) -> None:
    rows = rows_of_laender(original_rows, {"10"})
    a = read_register(write_csv_export(tmp_path / "a_2020-12-31.csv", rows, bom=True))
    b = read_register(write_csv_export(tmp_path / "b_2020-12-31.csv", rows, bom=False))
    assert a.municipalities == b.municipalities and len(a.municipalities) == 53


def test_missing_column(tmp_path: Path) -> None:
    import csv
    import io

    lines = _clean_lines()[:50]
    reader = csv.DictReader(io.StringIO("".join(lines)))
    fields = [f for f in (reader.fieldnames or []) if f != "lat"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(reader)
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert p.row == 1
    assert p.column == "lat"
    assert "missing column" in p.message


def test_missing_column_in_export(tmp_path: Path, original_rows: list[dict[str, str]]) -> None:
    rows = [{k: v for k, v in r.items() if k != "gemeinde"} for r in rows_of_laender(original_rows, {"04"})]
    path = tmp_path / "AuszugGV_2020-12-31.csv"
    header = [c for c in rows[0] if c != "gemeinde"]
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_register(path)
    assert _one(exc).column == "gemeinde"


def test_duplicate_ags(tmp_path: Path) -> None:
    lines = _clean_lines()[:30]
    dup = lines[5]
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    path.write_text("".join([*lines, dup]), encoding="utf-8")
    ags = dup.split(",", 1)[0]
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert p.row == len(lines) + 1
    assert p.column == "ags"
    assert p.value == ags
    assert "duplicate" in p.message and "row 6" in p.message


def test_duplicate_ags_in_xlsx(tmp_path: Path, original_rows: list[dict[str, str]]) -> None:
    rows = rows_of_laender(original_rows, {"10"})
    gem = next(r for r in rows if r["satzart"] == "60")
    path = write_register_xlsx(tmp_path / "31122020_Auszug_GV.xlsx", [*rows, gem])
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert p.row == 6 + len(rows) + 1  # sheet row: six title/header rows, then the data
    assert p.value == gem["land"] + gem["rb"] + gem["kreis"] + gem["gemeinde"]


def test_coordinates_outside_germany(tmp_path: Path) -> None:
    """Latitude and longitude swapped in one real row: both columns are named with their values."""
    import csv
    import io

    lines = _clean_lines()[:40]
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    header = list(rows[0])
    rows[9]["lat"], rows[9]["lon"] = rows[9]["lon"], rows[9]["lat"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_register(path)
    problems = exc.value.problems
    assert {p.column for p in problems} == {"lat", "lon"}
    assert all(p.file == str(path) and p.row == 11 for p in problems)
    lat = next(p for p in problems if p.column == "lat")
    assert lat.value == rows[9]["lat"]
    assert "outside Germany" in lat.message


def test_coordinates_outside_germany_in_xlsx(tmp_path: Path, original_rows: list[dict[str, str]]) -> None:
    rows = [dict(r) for r in rows_of_laender(original_rows, {"04"})]
    i = next(i for i, r in enumerate(rows) if r["satzart"] == "60")
    rows[i]["breitengrad"] = "-" + rows[i]["breitengrad"]  # a sign error: southern hemisphere
    path = write_register_xlsx(tmp_path / "31122020_Auszug_GV.xlsx", rows)
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert (p.file, p.row, p.column) == (str(path), 7 + i, "breitengrad")
    assert p.value == rows[i]["breitengrad"]


@pytest.mark.parametrize("name", ["gemeinden_gv_2020-12-31.csv", "31122020_Auszug_GV.xlsx"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert "empty" in p.message


def test_header_only_file(tmp_path: Path) -> None:
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    path.write_text(_clean_lines()[0], encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_register(path)
    assert _one(exc).file == str(path)
    assert "no Gemeinde" in _one(exc).message


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_xlsx(tmp_path: Path, small_xlsx: Path, fraction: float) -> None:
    data = small_xlsx.read_bytes()
    path = tmp_path / "31122020_Auszug_GV.xlsx"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(InputError) as exc:
        read_register(path)
    p = _one(exc)
    assert p.file == str(path)
    assert "truncated" in p.message or "damaged" in p.message
