"""Kreise and Verbände named in participation lists and ties files are imported at their own level
(issue 11): INTERESTED_IN / ATTENDED and KTS ties start or end at the District or Association node,
never spread onto the Gemeinden; ambiguous Kreis names stay flagged; CLI, HTTP upload and the
Python face take them; re-import changes nothing; ``lernnetz load`` rebuilds them from the ledgers.

The keys below were looked up by hand in the register the tests use
(``../shared/data/destatis/gemeinden_gv_2020-12-31.csv``, Gebietsstand 31.12.2020):
Kreis rows ``kreis`` code / name and Gemeindeverband rows ``gemeindeverband_code`` / name.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import lernnetz as ln
from lernnetz.api.cli.common import app
from lernnetz.api.main import create_app
from lernnetz.graph.analytics import connections, matches
from lernnetz.graph.analytics.basic import graph_stats
from lernnetz.graph.analytics.interests import interest_rows
from lernnetz.graph.participation import import_participation
from lernnetz.graph.pictures.network import network_html
from lernnetz.graph.pictures.views import store_subgraph
from lernnetz.graph.pipeline import ledger_path, load, read_ledger
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.graph.ties import import_ties
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.records import Register

LIPPE = "05766"  # Kreis 05766 "Lippe" (type Kreis), NW
MAYEN_KOBLENZ = "07137"  # Kreis 07137 "Mayen-Koblenz" (Landkreis), RP
VALLENDAR = "071375007"  # Gemeindeverband 071375007 "Vallendar" (Verbandsgemeinde in Mayen-Koblenz)
SUEDERBRARUP = "010595974"  # Gemeindeverband 010595974 "Süderbrarup" (Amt in Schleswig-Flensburg)
TOKEN = "levels-test-token"

LIST = (
    "Kommune;Bundesland;Themen;Art;Datum;Quelle\n"
    "Landkreis Lippe;NW;Mobilität;Anmeldung;07.05.2024;RK Lemgo\n"
    "Kreis Lippe;;Bürgerbeteiligung;Anmeldung;07.05.2024;RK Lemgo\n"
    "VG Vallendar;RP;mobility;Umfrage;01.06.2024;Umfrage MYK\n"
    "Amt Süderbrarup;SH;Digitaler Zwilling;Umfrage;01.06.2024;Umfrage SH\n"
    "Kreis Mayen-Koblenz;;Energie;Anmeldung;01.06.2024;Umfrage MYK\n"
    "Alte Hansestadt Lemgo;NW;mobility;teilgenommen;07.05.2024;RK Lemgo\n"
    "Kreis Heilbronn;BW;mobility;Umfrage;01.06.2024;Umfrage BW\n"  # two Kreise: Stadtkreis 08121, Landkreis 08125
)
#: What the six importable rows of LIST become: (level, key, topic, kind, date, source).
EXPECTED_LEVEL_ROWS = {
    ("kreis", LIPPE, "mobility", "registered", "2024-05-07", "RK Lemgo"),
    ("kreis", LIPPE, "buergerbeteiligung", "registered", "2024-05-07", "RK Lemgo"),
    ("verband", VALLENDAR, "mobility", "survey", "2024-06-01", "Umfrage MYK"),
    ("verband", SUEDERBRARUP, "digital-twin", "survey", "2024-06-01", "Umfrage SH"),
    ("kreis", MAYEN_KOBLENZ, "energy", "registered", "2024-06-01", "Umfrage MYK"),
}
TIES = (
    "Typ;Von;Nach;Datum;Quelle\n"
    "Wissensaustausch;Kreis Lippe;ulm;07.05.2024;KTS Dashboard\n"  # Kreis → project
    "Übertragung;VG Vallendar;Stadt Mayen;;KTS Dashboard\n"  # Verband → Gemeinde
    "Vorbild;Landkreis Lippe;Amt Süderbrarup;;KTS Dashboard\n"  # Kreis → Verband
    "Vorbild;Landkreis Hof;Kreis Lippe;;KTS Dashboard\n"  # "Landkreis Hof" is a model project: it wins
    "Austausch;Kreis Heilbronn;ulm;;KTS Dashboard\n"  # ambiguous Kreis name: rejected
)


def _settings(data_dir: Path) -> Settings:
    return Settings(LERNNETZ_DATA_DIR=data_dir, LERNNETZ_BACKEND="networkx", LERNNETZ_API_TOKEN=TOKEN)


@pytest.fixture
def data_dir(loaded_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    shutil.copytree(loaded_cache, d)
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(d))
    monkeypatch.setenv("LERNNETZ_BACKEND", "networkx")
    monkeypatch.setenv("LERNNETZ_API_TOKEN", TOKEN)
    return d


def _ags(register: Register, base: str) -> str:
    (hit,) = [m.ags for m in register.municipalities if m.name.split(",")[0] == base]
    return hit


def _level_rows(store: NetworkXStore) -> set[tuple[str, ...]]:
    li = store.level_interests()
    return set(zip(li["level"], li["key"], li["topic"], li["kind"], li["date"], li["source"], strict=True))


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_kreis_and_verband_rows_import_at_their_own_level(
    data_dir: Path, register: Register, tmp_path: Path
) -> None:
    settings = _settings(data_dir)
    store = NetworkXStore(settings.snapshot_path)
    gemeinde_interests = store.interests()
    f = _write(tmp_path / "liste.csv", LIST, "cp1252")
    resolution = tmp_path / "resolution.csv"
    dry = import_participation(store, settings, f, dry_run=True)
    report = import_participation(store, settings, f, resolution_path=resolution)
    assert (report.rows_read, report.rows_imported, report.rows_rejected, report.ambiguous) == (7, 6, 1, 1)
    (reject,) = report.rejected  # only the ambiguous Kreis, nothing for its level
    assert reject["row"] == 8 and "fits 2 Kreis" in reject["reason"] and "08121" in reject["reason"]
    assert (dry.records_new, dry.edges_new) == (report.records_new, report.edges_new) == (6, 6)
    # the resolution file keeps the level each row resolved at
    levels = [(r["input"], r["ags"], r["level"]) for r in report.resolution]
    assert levels[:6] == [("Landkreis Lippe", LIPPE, "kreis"), ("Kreis Lippe", LIPPE, "kreis"),
                          ("VG Vallendar", VALLENDAR, "verband"), ("Amt Süderbrarup", SUEDERBRARUP, "verband"),
                          ("Kreis Mayen-Koblenz", MAYEN_KOBLENZ, "kreis"),
                          ("Alte Hansestadt Lemgo", _ags(register, "Lemgo"), "gemeinde")]  # fmt: skip
    assert "kreis" in resolution.read_text(encoding="utf-8")
    # the edges start at the District and Association nodes with the register's keys
    assert _level_rows(store) == EXPECTED_LEVEL_ROWS
    for src, topic in ((f"District:{LIPPE}", "mobility"), (f"Association:{VALLENDAR}", "mobility"),
                       (f"Association:{SUEDERBRARUP}", "digital-twin"), (f"District:{MAYEN_KOBLENZ}", "energy")):  # fmt: skip
        assert store.shortest_paths(src, f"Topic:{topic}", max_hops=1) == [[src, f"Topic:{topic}"]]
    # never spread onto the Gemeinden: the Gemeinde table gained only Lemgo's row
    new = store.interests().merge(gemeinde_interests, how="left", indicator=True)
    assert new.loc[new["_merge"] == "left_only", "ags"].tolist() == [_ags(register, "Lemgo")]
    node = store._graph().nodes[f"Association:{SUEDERBRARUP}"]
    assert (node["name"], node["district_key"], node["state_code"]) == ("Süderbrarup", "01059", "01")
    assert node["members"] == sum(1 for m in register.municipalities if m.association_key == SUEDERBRARUP) > 1
    # the ledger keeps the level; importing again changes nothing
    ledger = read_ledger(settings)
    assert {(r.level, r.ags) for r in ledger} >= {("kreis", LIPPE), ("verband", VALLENDAR)}
    again = import_participation(store, settings, f)
    assert (again.records_new, again.edges_new) == (0, 0)
    assert import_participation(store, settings, f, dry_run=True).edges_new == 0
    # a full load rebuilds the same graph from the ledger: same rows, same Association node
    reloaded = load(settings)
    assert isinstance(reloaded, NetworkXStore)
    assert _level_rows(reloaded) == EXPECTED_LEVEL_ROWS
    assert reloaded._graph().nodes[f"Association:{SUEDERBRARUP}"] == node
    # the interests table shows level, key and name of each row's subject
    rows = interest_rows(reloaded)
    assert rows.attrs["counts"] == {"gemeinde": 1, "verband": 2, "kreis": 3}
    named = set(zip(rows["level"], rows["key"], rows["name"], rows["topic"], strict=True))
    assert {("kreis", LIPPE, "Lippe", "mobility"), ("verband", VALLENDAR, "Vallendar", "mobility"),
            ("verband", SUEDERBRARUP, "Süderbrarup", "digital-twin"),
            ("gemeinde", _ags(register, "Lemgo"), "Lemgo, Stadt", "mobility")} <= named  # fmt: skip
    assert interest_rows(reloaded, level="kreis", topic="Mobilität")["key"].tolist() == [LIPPE]
    assert graph_stats(reloaded)["interest_sources"] == {"RK Lemgo": 3, "Umfrage MYK": 2, "Umfrage SH": 1}


def test_kreis_interest_does_not_change_the_gemeinde_rankings(data_dir: Path, tmp_path: Path) -> None:
    settings = _settings(data_dir)
    store = NetworkXStore(settings.snapshot_path)
    g = _write(
        tmp_path / "gemeinde.csv", "Kommune;Bundesland;Themen;Datum\nStadt Blomberg;NW;Mobilität;07.05.2024\n"
    )
    assert import_participation(store, settings, g).edges_new == 1
    before = matches(store, "Lemgo", 30.0)
    assert not before.empty and set(before["level"]) == {"gemeinde"}
    f = _write(tmp_path / "kreis.csv", "Kommune;Themen;Datum\nKreis Lippe;Mobilität;07.05.2024\n"
               "Landkreis Lippe;Energie;07.05.2024\n")  # fmt: skip
    assert import_participation(store, settings, f).edges_new == 2
    after = matches(store, "Lemgo", 30.0)
    pd.testing.assert_frame_equal(after, before)  # no Gemeinde of Lippe became a candidate


def test_old_ledger_without_level_reads_as_gemeinde_and_a_bad_level_is_named(data_dir: Path) -> None:
    settings = _settings(data_dir)
    path = ledger_path(settings)
    path.write_text("ags,kind,date,source,topic,event_id,weight\n08421000,survey,2024-01-01,old,mobility,,1.0\n",
                    encoding="utf-8")  # fmt: skip
    (old,) = read_ledger(settings)
    assert (old.ags, old.level, old.topic) == ("08421000", "gemeinde", "mobility")
    path.write_text("ags,kind,date,source,topic,event_id,weight,level\n05766,survey,2024-01-01,x,mobility,,1,land\n",
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError) as exc:
        read_ledger(settings)
    assert "level" in str(exc.value) and "land" in str(exc.value) and "row 2" in str(exc.value)


def test_ties_with_kreise_and_verbaende_import_and_show_in_connections_and_pictures(
    data_dir: Path, register: Register, tmp_path: Path
) -> None:
    settings = _settings(data_dir)
    store = NetworkXStore(settings.snapshot_path)
    f = _write(tmp_path / "ties.csv", TIES, "cp1252")
    report = import_ties(store, settings, f)
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (5, 4, 1), report.rejected
    (reject,) = report.rejected
    assert reject["row"] == 6 and reject["column"] == "Von" and "ambiguous" in reject["reason"]
    mayen = _ags(register, "Mayen")
    expected = {
        ("EXCHANGES_WITH", "district", LIPPE, "project", "ulm"),
        ("TRANSFERS_TO", "association", VALLENDAR, "municipality", mayen),
        ("ROLE_MODEL_FOR", "district", LIPPE, "association", SUEDERBRARUP),
        ("ROLE_MODEL_FOR", "project", "landkreis-hof", "district", LIPPE),
    }
    rel = store.relations()
    got = set(zip(rel["type"], rel["from_kind"], rel["from_key"], rel["to_kind"], rel["to_key"], strict=True))
    assert expected <= got and report.edges_new == 4
    assert (import_ties(store, settings, f).ties_new, import_ties(store, settings, f).edges_new) == (0, 0)
    # connections: a Kreis or a Verband at either end, by name or key
    c = connections(store, "Kreis Lippe", "ulm")
    assert c.a == {"kind": "district", "key": LIPPE, "name": "Lippe"}
    assert c.ties[["type", "from_key", "to_key"]].values.tolist() == [["EXCHANGES_WITH", LIPPE, "ulm"]]
    assert c.paths and c.paths[0][0]["id"] == f"District:{LIPPE}" and c.paths[0][-1]["id"] == "Project:ulm"
    v = connections(store, "Stadt Mayen", "VG Vallendar")
    assert v.b == {"kind": "association", "key": VALLENDAR, "name": "Vallendar"}
    assert v.ties["type"].tolist() == ["TRANSFERS_TO"]
    s = connections(store, SUEDERBRARUP, LIPPE)
    assert s.a["kind"] == "association" and s.ties["type"].tolist() == ["ROLE_MODEL_FOR"]
    assert "Süderbrarup" in s.to_frame()["detail"].str.cat()
    # shared topics: Lippe's own Kreis-level interest meets ulm's project topic
    p = _write(tmp_path / "liste.csv", "Kommune;Themen;Datum;Quelle\nKreis Lippe;Mobilität;07.05.2024;RK\n")
    import_participation(store, settings, p)
    c = connections(store, "Kreis Lippe", "ulm")
    (row,) = c.shared_topics.itertuples(index=False)
    assert (row.topic, row.b_evidence) == (
        "mobility",
        "addresses",
    ) and "interest survey 2024-05-07" in row.a_evidence
    # the network picture draws the Kreis tied to a drawn project
    G = store_subgraph(store, ["08421000"])
    assert G.nodes[f"District:{LIPPE}"]["kind"] == "place"
    assert G.edges[f"District:{LIPPE}", "Project:ulm"]["type"] == "EXCHANGES_WITH"
    page = network_html(G, title="ulm", attribution="© Destatis")
    assert 'data-kind="place"' in page and "Lippe" in page
    # a load rebuilds the ties (and the Association node the ties name)
    reloaded = load(settings)
    rel = reloaded.relations()
    assert expected <= set(zip(rel["type"], rel["from_kind"], rel["from_key"], rel["to_kind"], rel["to_key"],
                                strict=True))  # fmt: skip


def test_cli_http_upload_and_face_take_kreise_and_verbaende(data_dir: Path, tmp_path: Path) -> None:
    settings = _settings(data_dir)
    runner = CliRunner()
    f = _write(tmp_path / "cli.csv", "Kommune;Themen;Datum\nLandkreis Lippe;Mobilität;07.05.2024\n")
    res = runner.invoke(app, ["import", "participation", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows_imported"] == 1
    res = runner.invoke(app, ["interests", "--level", "kreis", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert [(r["level"], r["key"], r["name"]) for r in json.loads(res.output)] == [("kreis", LIPPE, "Lippe")]
    t = _write(tmp_path / "t.csv", "type,from,to\nexchange,Kreis Lippe,ulm\n")
    res = runner.invoke(app, ["import", "ties", str(t), "--format", "json"])
    assert res.exit_code == 0 and '"ties_new": 1' in res.output, res.output
    res = runner.invoke(app, ["connections", "Kreis Lippe", "ulm", "--format", "json"])
    assert res.exit_code == 0 and "EXCHANGES_WITH" in res.output, res.output
    store = NetworkXStore(settings.snapshot_path)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings, store)) as c:
        r = c.post("/imports/participation", files={"file": ("vg.csv", b"Kommune;Themen;Datum\nVG Vallendar;Energie;01.06.2024\n")},
                   headers=auth)  # fmt: skip
        assert r.status_code == 200, r.text
        assert (r.json()["rows_imported"], r.json()["resolution"][0]["level"]) == (1, "verband")
        r = c.post("/imports/ties", files={"file": ("t.csv", b"type,from,to\nTransfer,Amt S\xc3\xbcderbrarup,ulm\n")},
                   headers=auth)  # fmt: skip
        assert r.status_code == 200 and r.json()["ties_new"] == 1, r.text
        r = c.get("/interests", params={"level": "verband"})
        assert r.status_code == 200, r.text
        assert [(i["key"], i["name"], i["topic"]) for i in r.json()["items"]] == [
            (VALLENDAR, "Vallendar", "energy")
        ]
        assert c.get("/interests", params={"level": "land"}).status_code == 422
        conn = c.get("/connections", params={"a": "Amt Süderbrarup", "b": "ulm"})
        assert conn.status_code == 200 and "TRANSFERS_TO" in conn.text and '"association"' in conn.text
    kn = ln.open(settings)
    g = _write(tmp_path / "face.csv", "Kommune;Themen;Datum\nKreis Mayen-Koblenz;Energie;01.06.2024\n")
    assert kn.import_participation(g).rows_imported == 1
    h = _write(tmp_path / "face-ties.csv", "type,from,to\nVorbild,Kreis Mayen-Koblenz,VG Vallendar\n")
    assert kn.import_ties(h).ties_new == 1
    assert set(kn.interest_rows(level="kreis")["key"]) == {LIPPE, MAYEN_KOBLENZ}
    assert kn.interests().attrs["notes"] == [
        "3 interest row(s) of Kreise or Verbände are not counted here; kn.interest_rows() lists them"]  # fmt: skip
    assert kn.connections("Kreis Mayen-Koblenz", "VG Vallendar").ties["type"].tolist() == ["ROLE_MODEL_FOR"]
    # a Kreis that is itself a project's whole territory: the MEMBER_OF tie, and the Kreis's own topics
    own = kn.connections(MAYEN_KOBLENZ, "landkreis-mayen-koblenz")
    assert own.a["kind"] == "district" and own.ties["type"].tolist() == ["MEMBER_OF"]


def test_an_ambiguous_kreis_corrected_in_the_resolution_file_imports_at_kreis_level(
    data_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(data_dir)
    store = NetworkXStore(settings.snapshot_path)
    f = _write(
        tmp_path / "hn.csv", "Kommune;Bundesland;Themen;Datum\nKreis Heilbronn;BW;Energie;01.06.2024\n"
    )
    res_file = tmp_path / "resolution.csv"
    first = import_participation(store, settings, f, dry_run=True, resolution_path=res_file)
    assert (first.rows_imported, first.ambiguous) == (0, 1)
    with res_file.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert (rows[0]["status"], rows[0]["level"]) == ("ambiguous", "")
    rows[0]["ags"] = (
        "08125"  # the analyst means the Landkreis Heilbronn (Kreis 08125), not the Stadtkreis 08121
    )
    corrected = tmp_path / "corrected.csv"
    with corrected.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    again = import_participation(store, settings, f, mapping_file=corrected)
    assert (again.rows_imported, again.mappings_used, again.edges_new) == (1, 1, 1)
    assert again.resolution[0]["level"] == "kreis" and again.resolution[0]["method"] == "manual"
    li = store.level_interests()
    assert li[["level", "key", "topic"]].values.tolist() == [["kreis", "08125", "energy"]]


def test_curated_relations_may_name_kreise_and_verbaende(tmp_path: Path, register: Register) -> None:
    from lernnetz.loaders.programme import read_programme
    from tests.conftest import CURATED_DIR

    d = tmp_path / "data"
    shutil.copytree(CURATED_DIR, d)
    with (d / "relations.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"EXCHANGES_WITH,district,{LIPPE},project,ulm,test,S,\n"
                 f"ROLE_MODEL_FOR,association,{VALLENDAR},district,{MAYEN_KOBLENZ},test,S,\n")  # fmt: skip
    rel = read_programme(d, register).relations
    assert [(r.from_kind, r.from_key, r.to_kind, r.to_key) for r in rel[-2:]] == [
        ("district", LIPPE, "project", "ulm"), ("association", VALLENDAR, "district", MAYEN_KOBLENZ)]  # fmt: skip
    with (d / "relations.csv").open("a", encoding="utf-8") as fh:
        fh.write(
            "EXCHANGES_WITH,district,05999,project,ulm,test,S,\nEXCHANGES_WITH,land,08,project,ulm,test,S,\n"
        )
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    found = {(p.column, p.value) for p in exc.value.problems}
    assert {("from_key", "05999"), ("from_kind", "land")} <= found
