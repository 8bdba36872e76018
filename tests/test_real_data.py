"""Real data out of the box (issue 12): the curated data alone, without any demo data.

Every expectation here is computed by hand from the loader records (register, ``data/``) with
plain Python (:class:`tests.analytics_helpers.Reference`, haversine), never from the analytics.
"""

from __future__ import annotations

import json
import shutil
import statistics
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lernnetz.api.cli.common import app as cli
from lernnetz.api.main import create_app
from lernnetz.graph import analytics as Q
from lernnetz.graph.analytics.basic import graph_stats as stats
from lernnetz.graph.analytics.programme import list_projects, project_detail
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.records import Programme, Register
from tests.analytics_helpers import Reference

ULM = "08421000"
BIBERACH = "08426"  # Landkreis Biberach: Digitale Zukunftskommune@bw 2018
EISENBERG = "073335002"  # Verbandsgemeinde Eisenberg (Pfalz): Digitale Dörfer RLP
NEUBRANDENBURG = "13071107"  # inside the whole-Kreis territory Mecklenburgische Seenplatte
PADERBORN_KREIS = "05774"


@pytest.fixture(scope="module")
def ref(register: Register, programme: Programme) -> Reference:
    """The independent reference, with no participation at all (only the curated data)."""
    return Reference.build(register, programme, [])


def test_every_project_has_a_sourced_topic_and_no_row_is_synthetic(nx_store: NetworkXStore) -> None:
    pt = nx_store.project_topics()
    sourced = pt[(pt["confidence"] == "S") & (pt["source"].str.strip() != "")]
    assert set(sourced["project_id"]) == set(nx_store.projects()["id"]) and len(nx_store.projects()) == 73
    per_project = Counter(pt["project_id"])
    assert len(pt) == 394 and statistics.median(per_project.values()) == 5
    assert min(per_project.values()) == 1 and max(per_project.values()) == 13
    for table in (nx_store.project_topics(), nx_store.members(), nx_store.relations(), nx_store.events(),
                  nx_store.programmes(), nx_store.programme_participation(), nx_store.interests(),
                  nx_store.attendances()):  # fmt: skip
        assert not (table["source"].astype(str).str.strip().str.lower() == "synthetic").any()
    assert nx_store.interests().empty and nx_store.attendances().empty


def test_wuerzburg_includes_its_landkreis_and_stats_count_it(
    nx_store: NetworkXStore, register: Register
) -> None:
    members = nx_store.members(["wuerzburg"])
    assert ("District", "09679") in set(zip(members["kind"], members["key"], strict=True))
    kreis = {m.ags for m in register.municipalities if m.district_key == "09679" and not m.is_unincorporated}
    assert len(kreis) == 52  # data/README.md: Landkreis Würzburg adds 52 Gemeinden
    assert kreis <= set(nx_store.territories(["wuerzburg"])["ags"])
    st = stats(nx_store)
    assert st["funded_municipalities"] == 1737  # 1,685 before the Würzburg correction
    assert st["funded_unincorporated_areas"] == 17


def test_figures_of_the_second_research_round(nx_store: NetworkXStore) -> None:
    e = nx_store.events()
    assert len(e) == 43 and int((e["date_start"].fillna("") != "").sum()) == 41
    assert int((e["kind"] == "mpsc-treffen").sum()) == 1
    ties = Counter(nx_store.relations()["type"])
    assert ties == {"EXCHANGES_WITH": 12, "CO_DEVELOPS_WITH": 14, "TRANSFERS_TO": 13}
    pp = nx_store.programme_participation()
    places = set(zip(pp["level"], pp["key"], strict=True))
    assert Counter(level for level, _ in places) == {"gemeinde": 59, "kreis": 35, "verband": 5}


def test_ulm_60_km_all_projects_finds_a_kreis_with_sourced_programme_evidence(
    nx_store: NetworkXStore, ref: Reference, register: Register
) -> None:
    df = Q.matches(nx_store, "Ulm", 60, projects="all")
    assert set(df["level"]) == {"kreis"} and set(df["ags"]) == {BIBERACH, "09774"}
    row = df[df["ags"] == BIBERACH].iloc[0].to_dict()
    assert row["name"] == "Landkreis Biberach" and row["funded_as"] == "" and row["funded_members"] == []
    ev = row["evidence"]
    assert {e["via"] for e in ev} == {"programme"} and {e["programme"] for e in ev} == {
        "digitale-zukunftskommune-bw"
    }
    assert all(e["source"].startswith("schwaebische.de/") for e in ev)
    assert row["reasons"][0].startswith(
        "Landkreis Biberach: Digitale Zukunftskommune@bw 2018 (winner (Verbund)), Bürgernähe / Verwaltung, "
        "Interkommunale Zusammenarbeit, source schwaebische.de/"
    )
    # by hand: distance = from its nearest Gemeinde; evidence 0.4 per topic (one programme row each)
    gemeinden = [m.ags for m in register.municipalities if m.district_key == BIBERACH and m.lat is not None]
    assert abs(row["distance_km"] - min(ref.dist_to_set(a, [ULM]) for a in gemeinden)) < 1e-6
    shared = ["citizen-service-admin", "intercommunal-cooperation"]
    assert row["shared_topics"] == shared
    listing = {p["id"]: p for p in row["projects"]}
    expected = {pid for pid, ts in ref.project_topics.items() if ts & set(shared)}
    assert set(listing) == expected
    nearest = min(min(ref.dist_to_set(a, ref.territory[pid]) for a in gemeinden) for pid in expected)
    assert row["score_components"]["nearest_project_km"] == pytest.approx(nearest, abs=1e-3)
    idf = sum(ref.idf(t) for t in shared)
    assert row["score"] == pytest.approx(idf * 0.4 * 0.5 ** (nearest / 30), abs=1e-6)
    # an ended project can still be learned from, and the row says so
    assert listing["hagenow"]["status"] == "ended" and listing["hagenow"]["end_date"] == "2025-09-19"
    assert any(
        r.startswith("Hagenow: project ended on 2025-09-19 (source hagenow.de") for r in row["reasons"]
    )
    assert listing["ulm"]["status"] == "" if "ulm" in listing else True


def test_a_verband_is_a_candidate_of_its_own_level(
    nx_store: NetworkXStore, ref: Reference, register: Register
) -> None:
    df = Q.matches(nx_store, "kaiserslautern", 30, topics=["mobility"])
    rows = {r["ags"]: r for r in df.to_dict(orient="records")}
    vg = rows[EISENBERG]
    assert vg["level"] == "verband" and vg["name"] == "Eisenberg (Pfalz)"
    members = [m.ags for m in register.municipalities if m.association_key == EISENBERG]
    assert len(members) == 3  # Eisenberg (Pfalz), Kerzenheim, Ramsen
    region = ref.territory["kaiserslautern"]
    assert abs(vg["distance_km"] - min(ref.dist_to_set(a, region) for a in members)) < 1e-6
    # never spread onto its Gemeinden: none of them is a row (none has evidence of its own)
    assert not set(members) & set(rows)
    area = ref.area(sorted(region), 30)
    near = {
        p
        for p, t in ref.territory.items()
        if t & set(area) and "mobility" in ref.project_topics.get(p, set())
    }
    assert {p["id"] for p in vg["projects"]} == near and "kaiserslautern" in near
    for p in vg["projects"]:  # distance from its nearest Gemeinde to each territory
        assert abs(p["distance_km"] - min(ref.dist_to_set(a, ref.territory[p["id"]]) for a in members)) < 1e-3
    assert vg["evidence"][0]["programme"] == "digitale-doerfer-rlp"


def test_a_kreis_names_its_funded_gemeinden_and_a_kreis_territory_is_funded(nx_store: NetworkXStore) -> None:
    df = Q.matches(nx_store, "paderborn", 40, projects="all")
    row = df[df["ags"] == PADERBORN_KREIS].iloc[0]
    assert row["level"] == "kreis" and row["funded_as"] == ""
    assert row["funded_members"] == ["Paderborn, Stadt (member)"]
    # Landkreis Wunsiedel is itself a project territory (confidence G): funded, never a candidate
    for means in ("any", "member"):
        far = Q.matches(nx_store, "landkreis-wunsiedel", 50, projects="all", funded_means=means)
        assert "09479" not in set(far["ags"])


def test_funded_means_keeps_a_gemeinde_inside_a_funded_landkreis(nx_store: NetworkXStore) -> None:
    default = Q.matches(nx_store, "Neubrandenburg", 20)
    assert NEUBRANDENBURG not in set(default["ags"])
    assert default.empty and any("--funded-means member" in n for n in default.attrs["notes"])
    for means, present in (("member", True), ("verband", True), ("kreis", False), ("any", False)):
        df = Q.matches(nx_store, "Neubrandenburg", 20, funded_means=means)
        assert (NEUBRANDENBURG in set(df["ags"])) is present, means
    row = Q.matches(nx_store, "Neubrandenburg", 20, funded_means="member").iloc[0]
    assert row["ags"] == NEUBRANDENBURG and row["funded_as"] == "kreis" and row["funded_confidence"] == "S"
    assert row["shared_topics"] == ["energy"]
    assert row["evidence"][0]["programme"] == "kts-start-smart-peer-learning"
    with pytest.raises(InvalidArgument):
        Q.matches(nx_store, "Neubrandenburg", 20, funded_means="somehow")


def test_project_status_is_listed_and_filterable(nx_store: NetworkXStore) -> None:
    ended = list_projects(nx_store, status="ended")
    assert ended["id"].tolist() == ["hagenow", "iserlohn"]
    assert ended["end_date"].tolist() == ["2025-09-19", "2025-10-31"]
    assert len(list_projects(nx_store, status="unknown")) == 71
    assert list_projects(nx_store, status="active").empty
    with pytest.raises(InvalidArgument):
        list_projects(nx_store, status="paused")
    d = project_detail(nx_store, "hagenow")["project"]
    assert (
        d["status"] == "ended"
        and d["end_date"] == "2025-09-19"
        and d["status_source"].startswith("hagenow.de")
    )


def test_empty_answers_explain_themselves(nx_store: NetworkXStore) -> None:
    df = Q.matches(nx_store, "Kiel", 20)
    assert df.empty and list(df.columns) == Q.MATCH_COLUMNS
    notes = df.attrs["notes"]
    assert "within 20 km of Kiel, Landeshauptstadt" in notes[0] and "--radius-km" in notes[0]
    assert "No participation list is loaded" in notes[-1] and "lernnetz import participation" in notes[-1]
    # Landkreis Biberach has evidence of it, but no project near Ulm addresses it: --projects all helps
    near = Q.matches(nx_store, "Ulm", 60, topics=["citizen-service-admin"])
    assert near.empty and near.attrs["notes"][0] == (
        "No model project near Ulm, Universitätsstadt (within 60 km) addresses Bürgernähe / Verwaltung. "
        "Consider every project (--projects all) or widen the radius."
    )
    assert not Q.matches(nx_store, "Ulm", 60, topics=["citizen-service-admin"], projects="all").empty
    ws = Q.white_spots(nx_store, "waste-emissions", 50)
    assert ws.empty and "No place has evidence of" in ws.attrs["notes"][0]
    plan = Q.plan_events(nx_store, "waste-emissions", 2, 50)
    assert plan.hosts.empty and plan.notes and "participation" in plan.notes[0]
    ln = Q.learning_networks(nx_store, "Kiel", None, 20)
    assert ln.groups.empty and "Widen the radius" in ln.notes[0]


def test_empty_answer_notes_in_cli_and_api(
    nx_store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    assert nx_store.snapshot is not None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(nx_store.snapshot, settings.snapshot_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["match", "Kiel", "--radius-km", "20"])
    assert res.exit_code == 0, res.output
    assert "0 row(s)" in res.stdout and "note:" in res.stdout and "--radius-km" in res.stdout
    res = runner.invoke(cli, ["match", "Kiel", "--radius-km", "20", "--format", "json"])
    assert json.loads(res.stdout) == [] and "note:" in res.stderr
    res = runner.invoke(cli, ["match", "Ulm", "--radius-km", "60", "--projects", "all", "--format", "json"])
    rows = json.loads(res.stdout)
    assert {r["ags"] for r in rows} == {BIBERACH, "09774"} and rows[0]["evidence"][0]["via"] == "programme"
    res = runner.invoke(
        cli, ["match", "Neubrandenburg", "-r", "20", "--funded-means", "member", "--format", "json"]
    )
    assert [r["ags"] for r in json.loads(res.stdout)] == [NEUBRANDENBURG]
    res = runner.invoke(cli, ["projects", "--status", "ended", "--format", "json"])
    assert [r["id"] for r in json.loads(res.stdout)] == ["hagenow", "iserlohn"]
    res = runner.invoke(cli, ["project", "hagenow"])
    assert "status: ended on 2025-09-19" in res.stdout

    api = create_app(Settings(LERNNETZ_DATA_DIR=str(tmp_path / "api")), nx_store)
    with TestClient(api) as c:
        r = c.get("/matches", params={"region": "Kiel", "radius_km": 20})
        assert r.status_code == 200 and r.json()["items"] == [] and r.json()["total"] == 0
        assert any("--radius-km" in n for n in r.json()["notes"])
        r = c.get("/matches", params={"region": "Neubrandenburg", "radius_km": 20, "funded_means": "member"})
        item = r.json()["items"][0]
        assert item["ags"] == NEUBRANDENBURG and item["funded_as"] == "kreis" and r.json()["notes"] == []
        r = c.get("/matches", params={"region": "Ulm", "radius_km": 60, "projects": "all"})
        biberach = next(i for i in r.json()["items"] if i["ags"] == BIBERACH)
        assert biberach["level"] == "kreis" and biberach["reasons"][0].startswith("Landkreis Biberach:")
        r = c.get("/projects", params={"status": "ended"})
        assert [p["id"] for p in r.json()["items"]] == ["hagenow", "iserlohn"]
        assert r.json()["items"][0]["status"] == "ended"
        r = c.get("/projects/iserlohn")
        assert r.json()["project"]["end_date"] == "2025-10-31"
        r = c.get("/event-plans", params={"topic": "waste-emissions"})
        assert r.status_code == 200 and r.json()["hosts"] == [] and r.json()["notes"]
        r = c.get("/white-spots", params={"topic": "waste-emissions"})
        assert r.status_code == 200 and r.json()["notes"]
        r = c.get(f"/municipalities/{NEUBRANDENBURG}")
        assert (r.json()["funded_as"], r.json()["funded_confidence"]) == ("kreis", "S")
        assert r.json()["programmes"][0]["programme_id"] == "kts-start-smart-peer-learning"
        r = c.get("/learning-networks", params={"region": "Kiel", "radius_km": 20})
        assert r.status_code == 200 and r.json()["groups"] == [] and r.json()["notes"]


def test_recommend_keeps_an_ended_project_and_says_so(nx_store: NetworkXStore) -> None:
    # Lübtheen lies 15–20 km from Hagenow (ended 2025-09-19): Hagenow stays in the ranking, marked
    df = Q.recommend(nx_store, "Lübtheen", top=100)
    row = df[df["project_id"] == "hagenow"].iloc[0]
    assert row["project_status"] == "ended"
    assert row["reasons"][-1].startswith("Hagenow: project ended on 2025-09-19 (source hagenow.de")
    assert "can still be learned from" in row["reasons"][-1]
    assert set(df.loc[df["project_id"] != "hagenow", "project_status"]) <= {"", "ended"}


def test_a_municipality_says_how_it_is_funded(nx_store: NetworkXStore) -> None:
    from lernnetz.graph.analytics.basic import municipality_detail

    cases = {
        NEUBRANDENBURG: ("kreis", "S"),  # Mecklenburgische Seenplatte is a whole-Kreis territory
        "01059185": ("kreis", "S"),  # Mittelangeln: inside Kreis Schleswig-Flensburg
        "01059060": ("verband", "G"),  # Mohrkirch: listed through Amt Süderbrarup (G) before its Kreis
        ULM: ("member", "S"),
        "08425141": ("", ""),  # Blaustein: not funded
    }
    got = {a: municipality_detail(nx_store, a) for a in cases}
    for ags, want in cases.items():
        assert (got[ags]["funded_as"], got[ags]["funded_confidence"]) == want, ags
    assert got[NEUBRANDENBURG]["programmes"][0]["programme_id"] == "kts-start-smart-peer-learning"


def test_connections_go_through_another_programme(nx_store: NetworkXStore) -> None:
    # Dettum and Erkerode both take part in Digitale Dörfer Niedersachsen (data/programme_participation.csv)
    c = Q.connections(nx_store, "Dettum", "Erkerode")
    names = [[n["name"] for n in p] for p in c.paths]
    assert ["Dettum", "Digitale Dörfer Niedersachsen (DorfFunk)", "Erkerode"] in names
    row = c.shared_topics[c.shared_topics["topic"] == "communication"].iloc[0]
    assert row["a_evidence"].startswith("Dettum: ") and "source busch-dettum.de" in row["a_evidence"]


def test_learning_networks_take_kreise_and_verbaende(nx_store: NetworkXStore) -> None:
    # no Gemeinde near Kaiserslautern has evidence; two Verbandsgemeinden and a Landkreis do (as
    # groups of places they are below the default minimum group size 3: min_size=1 lets them form)
    default = Q.learning_networks(nx_store, "kaiserslautern", None, 40)
    assert default.groups.empty and set(default.unassigned["reason_code"]) == {"below-minimum"}
    assert set(default.unassigned["ags"]) == {"07133", EISENBERG, "073335003"}
    assert "--min-size" in default.notes[0]
    ln = Q.learning_networks(nx_store, "kaiserslautern", None, 40, min_size=1)
    m = ln.members[ln.members["role"] == "member"]
    assert set(zip(m["ags"], m["level"], strict=True)) == {
        ("07133", "kreis"),
        (EISENBERG, "verband"),
        ("073335003", "verband"),
    }
    assert set(ln.groups["hub_project"]) == {"landkreis-st-wendel", "verband-region-rhein-neckar"}
    assert ln.unassigned.empty and ln.notes == []
    hub_of = dict(zip(ln.groups["group_id"], ln.groups["hub_project"], strict=True))
    for r in m.to_dict(orient="records"):
        assert r["distance_km"] <= 40 and not r["funded"] and r["shared_topics"]
        assert r["ags"] in ln.groups.set_index("group_id").loc[r["group_id"], "members"]
        assert hub_of[r["group_id"]] in {"landkreis-st-wendel", "verband-region-rhein-neckar"}


def test_min_evidence_ranks_programme_evidence_below_survey(nx_store: NetworkXStore) -> None:
    # programme 0.4 < survey 0.5: min_evidence=survey (or 0.41) drops the other-programme rows, of
    # Gemeinden and of Kreise/Verbände alike; programme (or 0.4) keeps everything
    every = Q.matches(nx_store, "Ulm", 60, projects="all")
    assert not every.empty and {e["via"] for ev in every["evidence"] for e in ev} == {"programme"}
    for keep in ("programme", 0.4, "any"):
        assert every.equals(Q.matches(nx_store, "Ulm", 60, projects="all", min_evidence=keep))
    for drop in ("survey", 0.41):
        none = Q.matches(nx_store, "Ulm", 60, projects="all", min_evidence=drop)
        assert none.empty and "--min-evidence" in none.attrs["notes"][-1]
    ws = Q.white_spots(nx_store, "smart-region-rural", 50)
    assert (ws["level"] == "kreis").any()
    assert Q.white_spots(nx_store, "smart-region-rural", 50, min_evidence="survey").empty
