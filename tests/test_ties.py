"""`lernnetz import ties`: typed KTS ties in German or English, resolved like participation lists,
atomic, idempotent, rebuilt by `load`, visible in connections; CLI, API, Python face; and two
concurrent tie imports lose nothing (issue 11)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import lernnetz as ln
from lernnetz.api.cli.common import app
from lernnetz.api.main import create_app
from lernnetz.graph.analytics import connections
from lernnetz.graph.pipeline import load, read_ties_ledger
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.graph.ties import import_ties
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.records import Register

TOKEN = "ties-test-token"
TIES = (
    "Typ;Von;Nach;Datum;Quelle\n"
    "Vorbild;ulm;Laichingen (Stadt);05.04.2022;KTS Dashboard\n"
    "role model;Smart City Ulm;Lemgo;2022-04-05;KTS Dashboard\n"
    "Wissensaustausch;Stadt Lemgo;ILLERTISSEN (STADT);;KTS Dashboard\n"
    "gemeinsame Entwicklung;luebeck;Werdohl;;KTS Dashboard\n"
    "Übertragung;Mayen (Große Kreisstadt);Rinteln;;KTS Dashboard\n"
)


def _settings(data_dir: Path) -> Settings:
    return Settings(LERNNETZ_DATA_DIR=data_dir, LERNNETZ_BACKEND="networkx", LERNNETZ_API_TOKEN=TOKEN)


@pytest.fixture
def data_dir(loaded_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    shutil.copytree(loaded_cache, d)
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(d))
    monkeypatch.setenv("LERNNETZ_BACKEND", "networkx")
    return d


def _ags(register: Register, base: str) -> str:
    (hit,) = [m.ags for m in register.municipalities if m.name.split(",")[0] == base]
    return hit


def _ties(store: NetworkXStore) -> set[tuple[str, str, str, str, str]]:
    r = store.relations()
    return set(zip(r["type"], r["from_kind"], r["from_key"], r["to_kind"], r["to_key"], strict=True))


def test_ties_in_german_and_english_are_imported_once_kept_by_load_and_shown(
    data_dir: Path, register: Register, tmp_path: Path
) -> None:
    settings = _settings(data_dir)
    store = NetworkXStore(settings.snapshot_path)
    before = _ties(store)
    f = tmp_path / "ties.csv"
    f.write_text(TIES, encoding="cp1252")
    resolution = tmp_path / "ties-resolution.xlsx"
    report = import_ties(store, settings, f, resolution_path=resolution)
    lemgo, laichingen = _ags(register, "Lemgo"), _ags(register, "Laichingen")
    expected = {
        ("ROLE_MODEL_FOR", "project", "ulm", "municipality", laichingen),
        ("ROLE_MODEL_FOR", "project", "ulm", "project", "lemgo-kalletal"),  # "Lemgo" is also a project
        ("EXCHANGES_WITH", "municipality", lemgo, "municipality", _ags(register, "Illertissen")),
        ("CO_DEVELOPS_WITH", "project", "luebeck", "municipality", _ags(register, "Werdohl")),
        ("TRANSFERS_TO", "municipality", _ags(register, "Mayen"), "municipality", _ags(register, "Rinteln")),
    }
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (5, 5, 0), report.rejected
    assert _ties(store) - before == expected and report.edges_new == 5
    assert resolution.exists()
    again = import_ties(store, settings, f)
    assert (again.ties_new, again.edges_new) == (0, 0)  # idempotent
    assert len(read_ties_ledger(settings)) == 5
    c = connections(store, "ulm", "Laichingen")
    assert "ROLE_MODEL_FOR" in set(c.ties["type"])
    from lernnetz.graph.pictures.views import store_subgraph

    G = store_subgraph(store, ["08421000", laichingen])  # the network picture draws the tie
    assert G.edges["Project:ulm", f"Municipality:{laichingen}"]["type"] == "ROLE_MODEL_FOR"
    # a full reload rebuilds the imported ties from the ties ledger
    reloaded = load(settings)
    assert expected <= _ties(reloaded)  # type: ignore[arg-type]


def test_unknown_type_and_bad_ends_are_rejected_and_nothing_is_written(
    data_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(data_dir)
    store = NetworkXStore(settings.snapshot_path)
    before = (_ties(store), settings.snapshot_path.read_bytes())
    f = tmp_path / "bad.csv"
    f.write_text(
        "type,from,to\n"
        "Freundschaft,ulm,Lemgo\n"  # unknown type
        "exchange,Neustadt,Lemgo\n"  # ambiguous name
        "exchange,Atlantis,Lemgo\n"  # unknown name
        "exchange,Lemgo,Lemgo\n"  # a tie to itself
        '"=HYPERLINK(""x"")",ulm,Lemgo\n',
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    report = import_ties(store, settings, f, rejects_path=rejects)
    assert (report.rows_read, report.rows_rejected, report.ties) == (5, 5, 0)
    by_row = {r["row"]: r for r in report.rejected}
    assert by_row[2]["column"] == "type" and by_row[2]["value"] == "Freundschaft"
    assert "Vorbild" in by_row[2]["reason"]
    assert "ambiguous" in by_row[3]["reason"] and "unmatched" in by_row[4]["reason"]
    assert "two different ends" in by_row[5]["reason"]
    assert (_ties(store), settings.snapshot_path.read_bytes()) == before
    assert not read_ties_ledger(settings)
    assert "'=HYPERLINK" in rejects.read_text(encoding="utf-8")  # neutralised
    res = CliRunner().invoke(app, ["import", "ties", str(f)])
    assert res.exit_code == 2 and "no row could be imported" in res.output
    empty = tmp_path / "empty.csv"
    empty.write_text("type,from,to\n", encoding="utf-8")
    with pytest.raises(InputError, match="no data rows"):
        import_ties(store, settings, empty)


def test_cli_api_and_face_import_ties_the_same_way(
    data_dir: Path, register: Register, tmp_path: Path
) -> None:
    settings = _settings(data_dir)
    f = tmp_path / "ties.csv"
    f.write_text("type,from,to\nexchange,ulm,Lemgo\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["import", "ties", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert '"ties_new": 1' in res.output
    g = tmp_path / "ties2.csv"
    g.write_text("type,from,to\nTransfer,ulm,Rinteln\n", encoding="utf-8")
    store = NetworkXStore(settings.snapshot_path)
    with TestClient(create_app(settings, store)) as c:
        r = c.post("/imports/ties", files={"file": ("ties2.csv", g.read_bytes())},
                   headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["ties_new"] == 1
        unauth = c.post("/imports/ties", files={"file": ("ties2.csv", g.read_bytes())})
        assert unauth.status_code == 401
        conn = c.get("/connections", params={"a": "ulm", "b": "Rinteln"})
        assert conn.status_code == 200 and "TRANSFERS_TO" in conn.text
    h = tmp_path / "ties3.csv"
    h.write_text(f"type,from,to\nVorbild,luebeck,{_ags(register, 'Lemgo')}\n", encoding="utf-8")
    kn = ln.open(settings)
    assert kn.import_ties(h).ties_new == 1
    got = _ties(NetworkXStore(settings.snapshot_path))
    lemgo = _ags(register, "Lemgo")
    assert {("EXCHANGES_WITH", "project", "ulm", "project", "lemgo-kalletal"),
            ("TRANSFERS_TO", "project", "ulm", "municipality", _ags(register, "Rinteln")),
            ("ROLE_MODEL_FOR", "project", "luebeck", "municipality", lemgo)} <= got  # fmt: skip


def test_two_concurrent_tie_imports_lose_nothing(data_dir: Path, register: Register, tmp_path: Path) -> None:
    gemeinden = [m for m in register.municipalities if m.ags.startswith("084") and (m.population or 0) > 0]
    files = []
    for i in range(2):
        lines = ["type,from,to,land"] + [
            f"exchange,{'ulm' if i == 0 else 'luebeck'},{m.ags},BW" for m in gemeinden[i::2][:60]
        ]
        p = tmp_path / f"ties-{i}.csv"
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(p)
    env = {**os.environ, "LERNNETZ_DATA_DIR": str(data_dir), "LERNNETZ_BACKEND": "networkx"}
    env.pop("NEO4J_URI", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "lernnetz.api.cli", "import", "ties", str(f)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for f in files
    ]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out
    got = _ties(NetworkXStore(data_dir / "graph.pickle"))
    for i, f in enumerate(files):
        src = "ulm" if i == 0 else "luebeck"
        keys = [line.split(",")[2] for line in f.read_text(encoding="utf-8").splitlines()[1:]]
        assert {("EXCHANGES_WITH", "project", src, "municipality", k) for k in keys} <= got
    assert len(read_ties_ledger(_settings(data_dir))) == 120
