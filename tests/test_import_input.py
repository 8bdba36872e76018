"""Participation lists as German Excel writes them, and bad input: each refused clearly, nothing
half-imported (issues 11 and 16)."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from lernnetz.graph.participation import import_participation
from lernnetz.graph.pipeline import ledger_path
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.participation import parse_date, parse_weight
from lernnetz.loaders.tables import MAX_CELL_CHARS, read_table

HEADER = "municipality,land,topics,kind,date,source\n"


@pytest.fixture
def store(private_store: NetworkXStore) -> NetworkXStore:
    """A private store for one test (see ``private_store`` in conftest)."""
    return private_store


def _state(store: NetworkXStore, settings: Settings) -> tuple[Any, bytes | None]:
    path = ledger_path(settings)
    return store.info()["edges"], (path.read_bytes() if path.exists() else None)


def _write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("latin-1", ","), ("utf-16", "\t")],
)
def test_german_excel_encodings_and_delimiters(
    store: NetworkXStore, settings: Settings, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    rows = [["Kommune", "Bundesland", "Themen", "Art", "Datum", "Quelle"],
            ["Gößweinstein", "Bayern", "Mobilität; Bürgerbeteiligung", "Anmeldung", "05.04.2022", "RK Süd"],
            ["Müllheim", "BW", "Digitaler Zwilling", "Teilnahme", "2022-04-05", "RK Süd"]]  # fmt: skip
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)  # quotes "a; b" as Excel does
    f = _write(tmp_path, buf.getvalue(), encoding=encoding)
    report = import_participation(store, settings, f)
    assert (report.rows_read, report.rows_imported) == (2, 2), report.rejected
    assert report.records == 3 and report.columns["municipality"] == "Kommune"
    # Latin-1 text is read as Windows-1252 (its superset for every German letter)
    assert report.encoding == {"cp1252": "windows-1252", "latin-1": "windows-1252"}.get(encoding, encoding)
    got = store.interests()
    assert set(zip(got["topic"], got["date"], got["kind"], strict=True)) == {
        ("mobility", "2022-04-05", "registered"), ("buergerbeteiligung", "2022-04-05", "registered"),
        ("digital-twin", "2022-04-05", "attended"),
    }  # fmt: skip
    assert set(got["source"]) == {"RK Süd"}  # the umlaut decoded right in every encoding


def test_utf16_without_bom_is_named(tmp_path: Path) -> None:
    f = _write(tmp_path, HEADER + "Ulm,BW,mobility,survey,2024-01-01,x\n", encoding="utf-16-le")
    with pytest.raises(InputError, match="UTF-16"):
        read_table(f, lambda h: True)


def test_xlsx_bomb_declaring_the_whole_sheet_is_read_in_bounded_time_and_memory(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["municipality", "topics", "date"])
    ws.append(["Ulm", "mobility", "2024-01-01"])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8")
                start = text.index("<dimension")
                end = text.index("/>", start) + 2
                data = (text[:start] + '<dimension ref="A1:XFD1048576"/>' + text[end:]).encode("utf-8")
            zout.writestr(item, data)
    assert bomb.stat().st_size < 10_000
    tracemalloc.start()
    started = time.perf_counter()
    table = read_table(bomb, lambda h: h in {"municipality", "topics", "date"})
    rows = list(table.rows)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == [(2, ["Ulm", "mobility", "2024-01-01"])]  # no padded rows or columns kept
    assert elapsed < 1.0 and peak < 200 * 1024 * 1024, (elapsed, peak)
    report = import_participation(store, settings, bomb)
    assert report.rows_read == 1 and report.rows_imported == 1


def test_row_limit_is_a_clear_refusal_and_nothing_is_written(
    store: NetworkXStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lernnetz.loaders.tables as tables

    monkeypatch.setattr(tables, "MAX_ROWS", 5)
    monkeypatch.setattr(tables.read_table, "__kwdefaults__", {"sheet": None, "max_rows": 5})
    f = _write(tmp_path, HEADER + "Ulm,BW,mobility,survey,2024-01-01,x\n" * 6)
    before = _state(store, settings)
    with pytest.raises(InputError, match="more than 5 data rows") as exc:
        import_participation(store, settings, f)
    assert exc.value.problems[0].row == 7
    assert _state(store, settings) == before


def test_xlsx_sheet_option_and_empty_topics_and_formula_cells(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Deckblatt"
    first.append(["Anmeldungen Regionalkonferenz"])
    ws = wb.create_sheet("Liste")
    ws.append(["Gemeinde", "Land", "Themen", "Datum"])
    ws.append(["Ulm", "BW", None, "2024-01-01"])  # empty topics in the first data row
    ws.append(["Lemgo", "NW", "=A2", "2024-01-01"])  # a formula (no cached value)
    ws.append(["Mayen", "RP", "Mobilität", "2024-01-01"])
    f = tmp_path / "liste.xlsx"
    wb.save(f)
    with pytest.raises(InputError, match="no header row"):
        import_participation(store, settings, f, dry_run=True)
    report = import_participation(store, settings, f, sheet="Liste")
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (3, 1, 2)
    reasons = {r["row"]: r["reason"] for r in report.rejected}
    assert "no known topic and no event" in reasons[2] and "no known topic and no event" in reasons[3]
    assert import_participation(store, settings, f, sheet="2", dry_run=True).rows_imported == 1
    with pytest.raises(InputError, match="no sheet 'Nope'"):
        import_participation(store, settings, f, sheet="Nope")


def test_dates_weights_and_row_level_problems(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    assert parse_date("2024-01-15x") is None and parse_date("2024-01-15 x") is None
    assert parse_date("2024-01-15 10:30") == "2024-01-15" and parse_date("05.04.2022") == "2022-04-05"
    assert parse_weight("1_0") is None and parse_weight("1e1") is None and parse_weight("1,5") == 1.5
    f = _write(
        tmp_path,
        "municipality,land,topics,kind,date,source,weight\n"
        "Ulm,BW,mobility,survey,2024-01-15x,s,1\n"
        "Ulm,BW,mobility,survey,2024-01-15,s,1_0\n"
        "Ulm,BW,mobility,survey,2024-01-15,s\x00x,1\n"
        "Ulm,BW,,survey,2024-01-15,s,1\n"
        "Ulm,BW,mobility,survey,2024-01-15,s,2\n",
    )
    report = import_participation(store, settings, f)
    by_row = {r["row"]: r for r in report.rejected}
    assert by_row[2]["column"] == "date" and by_row[2]["value"] == "2024-01-15x"
    assert by_row[3]["column"] == "weight" and by_row[3]["value"] == "1_0"
    assert by_row[4]["column"] == "source" and "NUL" in by_row[4]["reason"]
    assert "no known topic and no event" in by_row[5]["reason"]
    assert report.rows_imported == 1 and float(store.interests()["weight"].iloc[0]) == 2.0
    spill = tmp_path / "spill.csv"
    spill.write_text("Kommune;Themen;Datum\nUlm;Mobilität; Energie;2024-01-01\n", encoding="utf-8")
    spilled = import_participation(store, settings, spill, dry_run=True)
    assert spilled.rows_imported == 0
    assert any(r["row"] == 2 and "right of the last column" in r["reason"] for r in spilled.rejected)


def test_empty_list_only_unknown_names_50_topics_and_a_10mb_cell(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    before = _state(store, settings)
    with pytest.raises(InputError, match="empty"):
        import_participation(store, settings, _write(tmp_path, ""))
    with pytest.raises(InputError, match="no data rows"):
        import_participation(store, settings, _write(tmp_path, HEADER))
    unknown = import_participation(
        store,
        settings,
        _write(
            tmp_path,
            HEADER + "Atlantis,,mobility,survey,2024-01-01,x\nNirgendwo,,energy,survey,2024-01-01,x\n",
        ),
    )
    assert (unknown.rows_imported, unknown.unmatched, unknown.resolution_counts["unmatched"]) == (0, 2, 2)
    fifty = ";".join(["mobility", "energy"] * 25)
    big = "x" * (10 * 1024 * 1024)
    report = import_participation(
        store,
        settings,
        _write(
            tmp_path,
            HEADER + f"Ulm,BW,{fifty},survey,2024-01-01,x\nUlm,BW,mobility,survey,2024-01-01,{big}\n",
        ),
    )
    by_row = {r["row"]: r for r in report.rejected}
    first = next(r for r in report.rejected if r["row"] == 2)
    assert "50 topics in one cell" in first["reason"] and first["column"] == "topics"
    assert by_row[3]["column"] == "source" and f"at most {MAX_CELL_CHARS:,}" in by_row[3]["reason"]
    assert len(by_row[3]["value"]) <= 81 and report.rows_imported == 0
    assert _state(store, settings) == before  # nothing half-imported


def test_formula_like_cells_are_stored_as_text_and_written_back_neutralised(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    f = _write(
        tmp_path,
        HEADER + 'Ulm,BW,mobility,survey,2024-01-01,"=HYPERLINK(""http://x"",""y"")"\n'
        "+cmd,BW,mobility,survey,2024-01-01,x\n"
        "Ulm,BW,@SUM(A1),survey,2024-01-01,x\n",
    )
    rejects, res_csv, res_xlsx = tmp_path / "r.csv", tmp_path / "res.csv", tmp_path / "res.xlsx"
    report = import_participation(store, settings, f, rejects_path=rejects, resolution_path=res_csv)
    import_participation(store, settings, f, dry_run=True, resolution_path=res_xlsx)
    assert '=HYPERLINK("http://x","y")' in set(store.interests()["source"])  # stored as text
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    values = [r[2] for r in rows[1:]]
    assert "'+cmd" in values and "'@SUM(A1)" in values
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r)
    res_rows = list(csv.reader(io.StringIO(res_csv.read_text(encoding="utf-8"))))
    assert res_rows[0][:3] == ["row", "column", "input"] and len(res_rows) == 4
    assert not any(v.startswith(("=", "+", "@")) for r in res_rows for v in r)
    ws = load_workbook(res_xlsx).active
    assert ws is not None
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "'+cmd" in cells and not any(c.startswith(("=", "+", "@")) for c in cells)
    assert report.rows_imported == 1


def test_text_files_name_utf16_and_the_row_of_a_nul_byte(tmp_path: Path) -> None:
    from lernnetz.loaders.textio import read_text

    utf16 = _write(tmp_path, "a,b\n1,2\n", "u.csv", encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16"):
        read_text(utf16)
    nul = tmp_path / "n.csv"
    nul.write_bytes(b"a,b\n1,2\n3,\x004\n")
    with pytest.raises(InputError, match="NUL byte") as exc:
        read_text(nul)
    assert exc.value.problems[0].row == 3
