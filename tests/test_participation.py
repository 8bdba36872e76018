"""Participation import: flexible columns, name resolution, rejects, atomic and idempotent persistence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from lernnetz.api.cli.common import app
from lernnetz.graph.participation import import_participation, remove_synthetic
from lernnetz.graph.pipeline import append_ledger, ledger_path, read_ledger
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.graph.synthetic import synthetic_participation
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.records import ParticipationRecord, Programme, Register

CANONICAL = "municipality,land,topics,kind,date,source\n"


@pytest.fixture
def store(private_store: NetworkXStore) -> NetworkXStore:
    """A private store for one test (see ``private_store`` in conftest)."""
    return private_store


def _ags(register: Register, prefix: str) -> str:
    (hit,) = [m.ags for m in register.municipalities if m.name.split(",")[0] == prefix]
    return hit


def _write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _state(store: NetworkXStore, settings: Settings) -> tuple[Any, bytes | None]:
    path = ledger_path(settings)
    return store.info()["edges"], (path.read_bytes() if path.exists() else None)


def test_canonical_header_imports_and_second_import_changes_nothing(
    store: NetworkXStore, settings: Settings, register: Register, programme: Programme, tmp_path: Path
) -> None:
    label = next(t.label_de for t in programme.topics if t.slug == "mobility")
    f = _write(
        tmp_path,
        CANONICAL
        + f"Stadt Mayen,RP,{label};buergerbeteiligung,registered,2024-05-07,RK Koblenz\n"
        + "Alte Hansestadt Lemgo,NW,mobility,attended,07.05.2024,RK Lemgo\n"
        + "Frankfurt (Oder),Brandenburg,Digitale Stadtplanung,survey,2024-06-01,\n",
    )
    report = import_participation(store, settings, f)
    mayen, lemgo, ffo = _ags(register, "Mayen"), _ags(register, "Lemgo"), _ags(register, "Frankfurt (Oder)")
    assert (report.rows_read, report.matched_exact, report.rows_imported, report.rows_rejected) == (
        3,
        3,
        3,
        0,
    )
    assert report.records == report.records_new == report.edges_new == 4
    got = store.interests()
    assert set(zip(got["ags"], got["topic"], got["kind"], got["date"], strict=True)) == {
        (mayen, "mobility", "registered", "2024-05-07"),
        (mayen, "buergerbeteiligung", "registered", "2024-05-07"),
        (lemgo, "mobility", "attended", "2024-05-07"),
        (ffo, "digital-urban-planning", "survey", "2024-06-01"),
    }
    # an empty source cell falls back to the file name (provenance is never empty)
    assert set(got.loc[got["ags"] == ffo, "source"]) == {f.name}
    assert len(read_ledger(settings)) == 4
    before = _state(store, settings)
    again = import_participation(store, settings, f)
    assert (again.records, again.records_new, again.edges_new) == (4, 0, 0)
    assert _state(store, settings) == before
    # a reloaded store (from its snapshot) keeps the edges
    assert len(NetworkXStore(settings.snapshot_path).interests()) == 4


def test_dry_run_writes_nothing_but_counts_what_would_change(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    f = _write(
        tmp_path,
        CANONICAL + "Ulm,BW,mobility,survey,2024-01-02,Umfrage\nAtlantis,,mobility,survey,2024-01-02,x\n",
    )
    before = _state(store, settings)
    rejects = tmp_path / "rejects.csv"
    dry = import_participation(store, settings, f, dry_run=True, rejects_path=rejects)
    assert dry.dry_run and (dry.records_new, dry.edges_new) == (1, 1)
    assert _state(store, settings) == before and before[1] is None
    assert not rejects.exists()
    real = import_participation(store, settings, f, rejects_path=rejects)
    assert (real.records_new, real.edges_new) == (dry.records_new, dry.edges_new)
    assert rejects.exists()


def test_aliases_xlsx_title_rows_and_excel_numbers(
    store: NetworkXStore, settings: Settings, register: Register, tmp_path: Path
) -> None:
    ulm = _ags(register, "Ulm")
    hessen_neustadt = next(m.ags for m in register.municipalities if m.name.startswith("Neustadt (Hessen)"))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Anmeldungen Regionalkonferenz"])  # a title row above the header
    ws.append([])
    ws.append(
        ["Gemeinde", "Bundesland", "AGS", "Themen", "Art", "Datum", "Quelle", "Veranstaltung", "Bemerkung"]
    )
    ws.append(
        [
            None,
            None,
            int(ulm),
            "Mobilität (und Infrastruktur)",
            "Teilnahme",
            None,
            "Liste RK3",
            "rk-03-2022-04-05",
            "x",
        ]
    )
    ws.append(["Neustadt", "Hessen", None, None, "angemeldet", None, "Liste RK3", "RK-03-2022-04-05", ""])
    f = tmp_path / "anmeldungen.xlsx"
    wb.save(f)
    report = import_participation(store, settings, f)
    assert report.rows_read == 2 and report.rows_imported == 2, report.rejected
    assert report.ignored_columns == ["Bemerkung"]
    assert report.columns["municipality"] == "Gemeinde" and report.columns["event"] == "Veranstaltung"
    att = store.attendances()
    # the date comes from the event when the row has none; the event id is matched case-insensitively
    assert set(zip(att["ags"], att["event_id"], att["kind"], att["date"], strict=True)) == {
        (ulm, "rk-03-2022-04-05", "attended", "2022-04-05"),
        (hessen_neustadt, "rk-03-2022-04-05", "registered", "2022-04-05"),
    }
    assert report.review and report.review[0]["method"] == "partial+hint"


def test_only_unmatched_names_are_all_flagged_and_nothing_is_written(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    f = _write(tmp_path, CANONICAL + "Atlantis,,mobility,survey,2024-01-01,x\nNeustadt,,mobility,survey,2024-01-01,x\n"
               "Kreis Heilbronn,BW,mobility,survey,2024-01-01,x\n")  # fmt: skip
    before = _state(store, settings)
    rejects = tmp_path / "r.csv"
    report = import_participation(store, settings, f, rejects_path=rejects)
    # "Kreis Heilbronn" is a Kreis name, but two Kreise bear it (Stadtkreis 08121, Landkreis 08125): flagged
    assert (report.rows_read, report.unmatched, report.ambiguous, report.rows_imported) == (3, 1, 2, 0)
    assert _state(store, settings) == before
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,column,value,reason" and len(lines) == 4
    assert [r["row"] for r in report.rejected] == [2, 3, 4]
    assert "ambiguous" in report.rejected[1]["reason"] and "fits 2 Kreis" in report.rejected[2]["reason"]


def test_unknown_event_topic_kind_date_are_rejected_per_row(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    f = _write(
        tmp_path,
        "municipality,land,topics,kind,date,source,event\n"
        "Ulm,BW,mobility,survey,2024-01-01,s,\n"
        "Ulm,BW,,attended,,s,rk-99-1999-01-01\n"
        "Ulm,BW,Quantencomputing;mobility,survey,2024-01-01,s,\n"
        "Ulm,BW,mobility,gelesen,2024-01-01,s,\n"
        "Ulm,BW,mobility,survey,31.02.2024,s,\n"
        "Ulm,BW,,survey,2024-01-01,s,\n"
        "Ulm,BW,;,survey,2024-01-01,s,\n",
    )
    report = import_participation(store, settings, f)
    assert report.rows_read == 7 and report.rows_imported == 2
    assert report.rows_imported + report.rows_rejected == report.rows_read  # no row disappears
    by_row = {r["row"]: r for r in report.rejected}
    assert by_row[3]["column"] == "event" and by_row[3]["value"] == "rk-99-1999-01-01"
    # an unknown topic is rejected on its own; the row's known topic and municipality are kept
    assert by_row[4]["column"] == "topics" and by_row[4]["value"] == "Quantencomputing"
    assert "unknown topic" in by_row[4]["reason"] and report.values_skipped == 1
    assert by_row[5]["column"] == "kind" and by_row[6]["column"] == "date"
    assert "no known topic and no event" in by_row[7]["reason"]
    assert by_row[8]["value"] == ";" and "no known topic and no event" in by_row[8]["reason"]
    i = store.interests()
    assert len(i) == 1 and report.records == 1  # rows 2 and 4 make the same record


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("", "utf-8", "empty"),
        (CANONICAL, "utf-8", "no data rows"),
        ("name;foo\nUlm;1\n", "utf-8", "no topics or event column"),
        ("topics,kind\nmobility,survey\n", "utf-8", "no municipality column"),
    ],
)
def test_bad_files_raise_and_write_nothing(
    store: NetworkXStore, settings: Settings, tmp_path: Path, content: str, encoding: str, message: str
) -> None:
    f = _write(tmp_path, content, encoding=encoding)
    before = _state(store, settings)
    with pytest.raises(InputError) as exc:
        import_participation(store, settings, f)
    assert message in str(exc.value) and str(f) in str(exc.value)
    assert _state(store, settings) == before


def test_damaged_xlsx_is_a_clear_error(store: NetworkXStore, settings: Settings, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["municipality", "topics", "date"])
    ws.append(["Ulm", "mobility", "2024-01-01"])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(InputError, match="XLSX"):
        import_participation(store, settings, bad)


def test_store_failure_leaves_the_ledger_unchanged(
    store: NetworkXStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_ledger(
        settings, [ParticipationRecord("08421000", "survey", "2023-01-01", "earlier", topic="energy")]
    )
    before = ledger_path(settings).read_bytes()
    f = _write(tmp_path, CANONICAL + "Ulm,BW,mobility,survey,2024-01-01,x\n")

    def broken(records: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(store, "add_participation", broken)
    with pytest.raises(OSError, match="disk full"):
        import_participation(store, settings, f)
    assert ledger_path(settings).read_bytes() == before


def test_ledger_failure_leaves_the_store_unchanged(
    store: NetworkXStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lernnetz.graph.participation as gp

    f = _write(tmp_path, CANONICAL + "Ulm,BW,mobility,survey,2024-01-01,x\n")
    before = _state(store, settings)

    def broken(settings: Settings, records: object) -> int:
        raise PermissionError("read-only data directory")

    monkeypatch.setattr(gp, "append_ledger", broken)
    with pytest.raises(PermissionError):
        import_participation(store, settings, f)
    assert _state(store, settings) == before


def test_cli_import_dry_run_and_exit_codes(store: NetworkXStore, settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    good = _write(tmp_path, CANONICAL + "Ulm,BW,mobility,survey,2024-01-01,x\n", name="good.csv")
    res = runner.invoke(app, ["import", "participation", str(good), "--dry-run"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # rich wraps lines at the terminal width
    assert "DRY RUN" in text and "1 row(s) read" in text
    assert not ledger_path(settings).exists()
    res = runner.invoke(
        app,
        ["import", "participation", str(good), "--format", "json", "--report", str(tmp_path / "rep.json")],
    )
    assert res.exit_code == 0 and '"edges_new": 1' in res.output
    assert json.loads((tmp_path / "rep.json").read_text(encoding="utf-8"))["rows_imported"] == 1
    assert len(read_ledger(settings)) == 1
    bad = _write(tmp_path, CANONICAL + "Atlantis,,mobility,survey,2024-01-01,x\n", name="bad.csv")
    res = runner.invoke(app, ["import", "participation", str(bad)])
    assert res.exit_code == 2
    assert (tmp_path / "bad.csv.rejects.csv").exists()
    res = runner.invoke(app, ["import", "participation", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2


def test_synthetic_generator_is_seeded_and_labelled(nx_store: NetworkXStore, register: Register) -> None:
    a = synthetic_participation(nx_store, 500, seed=3)
    b = synthetic_participation(nx_store, 500, seed=3)
    c = synthetic_participation(nx_store, 500, seed=4)
    assert a == b and a != c
    assert len(a) == len(set(a)) == 500
    assert {r.source for r in a} == {"synthetic"}
    real = {m.ags for m in register.municipalities if not m.is_unincorporated}
    assert {r.ags for r in a} <= real
    events = set(nx_store.events()["id"])
    assert all((r.topic is not None) != (r.event_id is not None) for r in a)
    assert {r.event_id for r in a if r.event_id} <= events
    only_interests = synthetic_participation(nx_store, 200, seed=3, attendance_share=0.0)
    assert all(r.topic for r in only_interests)


def test_cli_demo_data_says_synthetic_and_can_be_removed(store: NetworkXStore, settings: Settings) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["demo-data", "--n", "-1"])
    assert res.exit_code == 2 and "n must be ≥ 0" in res.stderr and not ledger_path(settings).exists()
    res = runner.invoke(app, ["demo-data", "--n", "50", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "SYNTHETIC" in res.output
    assert len(read_ledger(settings)) == 50
    assert {r.source for r in read_ledger(settings)} == {"synthetic"}
    append_ledger(
        settings, [ParticipationRecord("08421000", "survey", "2023-01-01", "real list", topic="energy")]
    )
    assert remove_synthetic(settings) == 50
    assert [r.source for r in read_ledger(settings)] == ["real list"]
