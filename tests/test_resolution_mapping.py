"""The resolution file and the manual mapping: review, correct, hand back, re-import (issue 11);
topics as people write them and "did you mean" for regions and topics."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lernnetz.api.cli.common import app
from lernnetz.api.main import create_app
from lernnetz.graph.analytics import matches
from lernnetz.graph.errors import NotFound
from lernnetz.graph.participation import import_participation, mapping_path
from lernnetz.graph.pipeline import ledger_path
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.records import Register

HEADER = "Kommune,Bundesland,Themen,Art,Datum,Quelle\n"


@pytest.fixture
def store(private_store: NetworkXStore) -> NetworkXStore:
    """A private store for one test (see ``private_store`` in conftest)."""
    return private_store


def _ags(register: Register, base: str, state: str | None = None) -> str:
    (hit,) = [m.ags for m in register.municipalities
              if m.name.split(",")[0] == base and (state is None or m.state_code == state)]  # fmt: skip
    return hit


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _state(store: NetworkXStore, settings: Settings) -> tuple[Any, bytes | None]:
    path = ledger_path(settings)
    return store.info()["edges"], (path.read_bytes() if path.exists() else None)


def test_round_trip_resolution_file_corrected_mapping_reimport(
    store: NetworkXStore, settings: Settings, register: Register, tmp_path: Path
) -> None:
    f = tmp_path / "anmeldungen.csv"
    f.write_text(
        HEADER + "Laichingen (Stadt),BW,Mobilität,Anmeldung,05.04.2022,RK\n"
        "Neustadt,,mobilitaet,Anmeldung,05.04.2022,RK\n"  # ambiguous: must be corrected
        "Smartstadt Nord,,Energie,Anmeldung,05.04.2022,RK\n",  # unknown: must be corrected
        encoding="utf-8",
    )
    res_file = tmp_path / "resolution.csv"
    first = import_participation(store, settings, f, dry_run=True, resolution_path=res_file)
    rows = _rows(res_file)
    assert [(r["input"], r["status"], r["method"]) for r in rows] == [
        ("Laichingen (Stadt)", "ok", "exact"), ("Neustadt", "ambiguous", ""), ("Smartstadt Nord", "unmatched", ""),
    ]  # fmt: skip
    assert rows[0]["ags"] == _ags(register, "Laichingen") and rows[0]["name"] == "Laichingen, Stadt"
    assert first.resolution_counts == {"ok": 1, "review": 0, "ambiguous": 1, "unmatched": 1}
    # the analyst fills in the AGS of the two rows and hands the file back
    neustadt_wied = _ags(register, "Neustadt (Wied)")
    ulm = _ags(register, "Ulm")
    rows[1]["ags"], rows[2]["ags"] = neustadt_wied, ulm
    corrected = tmp_path / "corrected.csv"
    with corrected.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    again = import_participation(store, settings, f, mapping_file=corrected, resolution_path=res_file)
    assert (again.rows_imported, again.mappings_used) == (3, 3)
    assert {r["input"]: (r["ags"], r["method"]) for r in _rows(res_file)} == {
        "Laichingen (Stadt)": (_ags(register, "Laichingen"), "manual"),
        "Neustadt": (neustadt_wied, "manual"), "Smartstadt Nord": (ulm, "manual"),
    }  # fmt: skip
    assert "manual mapping (corrected.csv row" in next(r["reason"] for r in _rows(res_file))
    assert set(store.interests()["ags"]) == {_ags(register, "Laichingen"), neustadt_wied, ulm}
    # the mapping is kept (its provenance with it): a later import without --mapping honours it
    assert mapping_path(settings).exists() and "corrected.csv row 3" in mapping_path(settings).read_text(
        "utf-8"
    )
    later = import_participation(store, settings, f, dry_run=True)
    assert later.rows_imported == 3 and later.mappings_used == 3


def test_mapping_errors_name_file_row_column_value_and_write_nothing(
    store: NetworkXStore, settings: Settings, register: Register, tmp_path: Path
) -> None:
    f = tmp_path / "list.csv"
    f.write_text(HEADER + "Ulm,BW,mobility,survey,2024-01-01,x\n", encoding="utf-8")
    before = _state(store, settings)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("name,land,ags\nUlm,BW,99999999\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_participation(store, settings, f, mapping_file=unknown)
    p = exc.value.problems[0]
    assert (p.row, p.column, p.value) == (2, "ags", "99999999") and str(unknown) in str(exc.value)
    twice = tmp_path / "twice.csv"
    ulm, lemgo = _ags(register, "Ulm"), _ags(register, "Lemgo")
    twice.write_text(
        f"Gemeinde,Bundesland,AGS\nUlm,BW,{ulm}\nULM,Baden-Württemberg,{lemgo}\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="mapped to") as exc2:
        import_participation(store, settings, f, mapping_file=twice)
    assert exc2.value.problems[0].row == 3 and exc2.value.problems[0].value == lemgo
    assert _state(store, settings) == before and not mapping_path(settings).exists()


def test_topics_as_people_write_them_keep_the_known_ones(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "topics.csv"
    f.write_text(
        HEADER
        + "Ulm,BW,Mobilität; Quantencomputing; participation; Digitaler Zwilling,Umfrage,2024-01-01,x\n"
        "Lemgo,NW,Teilhabe; mobilty,Umfrage,2024-01-01,x\n",
        encoding="utf-8",
    )
    report = import_participation(store, settings, f)
    assert report.rows_imported == 2 and report.values_skipped == 2
    got = store.interests()
    assert set(got["topic"]) == {"mobility", "buergerbeteiligung", "digital-twin"}
    rejected = {r["value"]: r for r in report.rejected}
    assert rejected["Quantencomputing"]["row"] == 2 and rejected["Quantencomputing"]["column"] == "Themen"
    assert "transparency-participation" in rejected["Teilhabe"]["reason"]  # fits several: flagged with all
    assert any(r["method"] == "topic typo" and r["value"] == "mobilty" for r in report.review)


def test_match_topic_in_german_equals_the_slug_and_typos_get_suggestions(nx_store: NetworkXStore) -> None:
    base = matches(nx_store, "Ulm", 50.0, topics=["mobility"])
    for spelling in ("Mobilität", "mobilitaet", "MOBILITÄT", "Mobilität (und Infrastruktur)"):
        assert matches(nx_store, "Ulm", 50.0, topics=[spelling]).equals(base), spelling
    with pytest.raises(NotFound) as exc:
        matches(nx_store, "Ulm", 50.0, topics=["mobilty"])
    assert exc.value.candidates[0]["key"] == "mobility"
    with pytest.raises(NotFound) as exc2:
        matches(nx_store, "Ulmm", 50.0)
    assert any(c["name"].startswith("Ulm") for c in exc2.value.candidates)


def test_cli_and_api_say_did_you_mean(
    nx_store: NetworkXStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(nx_store.snapshot, settings.snapshot_path)  # type: ignore[arg-type]
    runner = CliRunner()
    a = runner.invoke(app, ["match", "Ulm", "--topic", "Mobilität", "--format", "csv"])
    b = runner.invoke(app, ["match", "Ulm", "--topic", "mobilitaet", "--format", "csv"])
    c = runner.invoke(app, ["match", "Ulm", "--topic", "mobility", "--format", "csv"])
    assert a.exit_code == b.exit_code == c.exit_code == 0, a.output
    assert a.stdout == b.stdout == c.stdout
    bad = runner.invoke(app, ["match", "Ulm", "--topic", "mobilty"])
    assert bad.exit_code == 2 and "did you mean" in bad.output and "mobility" in bad.output
    region = runner.invoke(app, ["match", "Ulmm"])
    assert region.exit_code == 2 and "did you mean" in region.output
    with TestClient(create_app(settings, nx_store)) as client:
        r = client.get("/matches", params={"region": "Ulm", "topic": "mobilty"})
        assert r.status_code in (404, 422) and r.json()["candidates"][0]["key"] == "mobility"
        r2 = client.get("/matches", params={"region": "Ulmm"})
        assert r2.status_code == 404 and any(x["name"].startswith("Ulm") for x in r2.json()["candidates"])


def test_cli_and_face_write_the_resolution_file_and_honour_a_mapping(
    store: NetworkXStore, settings: Settings, register: Register, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    import lernnetz as ln

    f = tmp_path / "liste.csv"
    f.write_text(HEADER + "Neustadt,,Mobilität,Anmeldung,05.04.2022,RK\n", encoding="utf-8")
    res = tmp_path / "res.xlsx"
    out = CliRunner().invoke(app, ["import", "participation", str(f), "--dry-run", "--resolution", str(res)])
    assert out.exit_code == 2 and "ambiguous 1" in out.output  # nothing importable: exit 2, file written
    ws = load_workbook(res).active
    assert ws is not None
    header, row = [c.value for c in ws[1]], [c.value for c in ws[2]]
    assert header[:3] == ["row", "column", "input"] and row[2] == "Neustadt" and row[10] == "ambiguous"
    mapping = tmp_path / "mapping.csv"
    wied = _ags(register, "Neustadt (Wied)")
    mapping.write_text(f"name,land,ags\nNeustadt,,{wied}\n", encoding="utf-8")
    ok = CliRunner().invoke(app, ["import", "participation", str(f), "--mapping", str(mapping)])
    assert ok.exit_code == 0 and "manual mappings used 1" in ok.output, ok.output
    report = ln.open(settings).import_participation(f, dry_run=True)
    assert report.mappings_used == 1 and report.records_new == 0  # kept mapping, already imported


def test_api_upload_reads_the_named_sheet_and_returns_the_resolution(
    store: NetworkXStore, settings: Settings, register: Register, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.append(["Regionalkonferenz"])
    ws = wb.create_sheet("Liste")
    ws.append(["Kommune", "Themen", "Datum"])
    ws.append(["Laichingen (Stadt)", "Mobilität; Quantencomputing", "05.04.2022"])
    ws.append(["Neustadt", "Energie", "05.04.2022"])
    buf = io.BytesIO()
    wb.save(buf)
    token = "mapping-test-token"
    api_settings = Settings(LERNNETZ_DATA_DIR=settings.data_dir, LERNNETZ_API_TOKEN=token)
    with TestClient(create_app(api_settings, store)) as c:
        r = c.post("/imports/participation", params={"sheet": "Liste"}, files={"file": ("liste.xlsx", buf.getvalue())},
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rows_imported"], body["values_skipped"]) == (1, 1)
    assert body["resolution_counts"] == {"ok": 1, "review": 0, "ambiguous": 1, "unmatched": 0}
    assert [x["status"] for x in body["resolution"]] == ["ok", "ambiguous"]
    assert body["resolution"][0]["ags"] == _ags(register, "Laichingen")
