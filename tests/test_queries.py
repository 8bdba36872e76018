"""The analytics on the real register and programme, checked against independent computations."""

from __future__ import annotations

import json
import math
import shutil
import statistics
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from typer.testing import CliRunner

from lernnetz.api.cli.common import app
from lernnetz.graph import analytics as Q
from lernnetz.graph.errors import Ambiguous, InvalidArgument, NotFound
from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.records import ParticipationRecord, Programme, Register
from tests.analytics_helpers import HAND, Reference, hav

ULM, BLAUSTEIN, NEU_ULM, DORNSTADT, LANGENAU = "08421000", "08425141", "09775135", "08425031", "08425072"


def _members(register: Register, ref: Reference, region: str) -> list[str]:
    if region.isdigit() and len(region) == 8:
        return [region]
    if region.isdigit() and len(region) == 5:
        return [m.ags for m in register.municipalities if m.district_key == region]
    return sorted(ref.territory[region])


# ---------------------------------------------------------------------------- matches


def test_matches_around_ulm_hand_computed(store: NetworkXStore, ref: Reference) -> None:
    df = Q.matches(store, ULM, 30, topics=["strategy-development"])
    rows = {r["ags"]: r for r in df.to_dict(orient="records")}
    assert ULM not in rows  # funded: never a candidate, even with an interest
    blau = rows[BLAUSTEIN]
    d = hav(*ref.coords[BLAUSTEIN], *ref.coords[ULM])
    assert abs(blau["distance_km"] - d) < 0.01
    assert blau["shared_topics"] == ["strategy-development"]
    assert [p["id"] for p in blau["projects"]] == ["ulm"]
    assert abs(blau["projects"][0]["distance_km"] - d) < 0.01
    # score by hand: IDF(strategy-development) × evidence strength × 0.5^(d/30)
    expected = (
        ref.idf("strategy-development") * ref.strength(BLAUSTEIN, "strategy-development") * 0.5 ** (d / 30)
    )
    assert blau["score"] == pytest.approx(expected, abs=1e-6)
    assert {"topic": "strategy-development", "via": "interest", "kind": "survey", "source": "hand-test",
            "date": "2024-03-01", "event_id": "", "programme": "",
            "reason": "Blaustein, Stadt: survey interest in Smart-City-Strategieentwicklung (2024-03-01), "
                      "source hand-test"} in blau["evidence"]  # fmt: skip
    assert blau["level"] == "gemeinde" and blau["funded_as"] == ""
    # Dornstadt only attended RK3 (focus: strategy development): the topic comes via the event
    dorn = rows[DORNSTADT]
    assert any(e["via"] == "event" and e["event_id"] == "rk-03-2022-04-05" for e in dorn["evidence"])
    # Neu-Ulm's hand-made interest is mobility: a row under this filter only if other evidence says so
    assert (NEU_ULM in rows) == ("strategy-development" in ref.topics_of.get(NEU_ULM, set()))


@pytest.mark.parametrize(
    ("region", "radius", "topics", "projects"),
    [
        (ULM, 30.0, None, "near"),
        ("07137", 15.0, ["mobility", "buergerbeteiligung"], "near"),
        ("ulm", 20.0, ["energy"], "all"),
        ("14612000", 40.0, None, "near"),
        ("06531", 25.0, None, "all"),
        ("aalen-heidenheim", 35.0, ["Mobilität (und Infrastruktur)"], "near"),
    ],
)
def test_matches_equal_an_independent_reference(
    store: NetworkXStore, register: Register, ref: Reference, region: str, radius: float,
    topics: list[str] | None, projects: str,
) -> None:  # fmt: skip
    df = Q.matches(store, region, radius, topics=topics, projects=projects)  # type: ignore[arg-type]
    slugs = (
        None if topics is None else [{"Mobilität (und Infrastruktur)": "mobility"}.get(t, t) for t in topics]
    )
    expected = ref.matches(_members(register, ref, region), radius, slugs, projects)
    df = df[df["level"] == "gemeinde"]  # Kreis/Verband candidates: see test_places.py
    assert set(df["ags"]) == set(expected)
    assert len(expected) > 0
    for r in df.to_dict(orient="records"):
        e = expected[r["ags"]]
        assert abs(r["distance_km"] - e["distance_km"]) < 0.01
        assert r["shared_topics"] == e["shared_topics"]
        assert {p["id"] for p in r["projects"]} == set(e["projects"])
        for p in r["projects"]:
            km, shared = e["projects"][p["id"]]
            assert abs(p["distance_km"] - km) < 0.01 and p["shared_topics"] == shared
        assert set(r["score_components"]) == {"topic_idf", "evidence", "distance_decay", "nearest_project_km"}
        c = r["score_components"]
        assert r["score"] == pytest.approx(c["topic_idf"] * c["evidence"] * c["distance_decay"], abs=1e-5)
    keys = [(-r["score"], r["distance_km"], r["ags"]) for r in df.to_dict(orient="records")]
    assert keys == sorted(keys)


def test_matches_projects_all_reaches_far_projects(store: NetworkXStore) -> None:
    near = Q.matches(store, ULM, 20, topics=["energy"], projects="near")
    far = Q.matches(store, ULM, 20, topics=["energy"], projects="all")
    assert LANGENAU not in set(near["ags"])
    row = far[far["ags"] == LANGENAU].iloc[0]
    assert "luebeck" in {p["id"] for p in row["projects"]}
    assert set(near["ags"]) <= set(far["ags"])


def test_matches_bad_input(store: NetworkXStore) -> None:
    with pytest.raises(NotFound):
        Q.matches(store, "Atlantis", 10)
    with pytest.raises(Ambiguous) as exc:
        Q.matches(store, "Neustadt", 10)
    assert len(exc.value.candidates) > 5
    for radius in (0, -5, 1000.5, float("nan")):
        with pytest.raises(InvalidArgument):
            Q.matches(store, ULM, radius)
    with pytest.raises(NotFound, match="unknown topic"):
        Q.matches(store, ULM, 10, topics=["quantencomputing"])
    with pytest.raises(InvalidArgument):
        Q.matches(store, ULM, 10, topics=[])
    with pytest.raises(InvalidArgument):
        Q.matches(store, ULM, 10, projects="some")  # type: ignore[arg-type]


def test_empty_result_keeps_the_columns(store: NetworkXStore) -> None:
    df = Q.matches(store, ULM, 1.0, topics=["waste-emissions"])
    assert list(df.columns) == Q.MATCH_COLUMNS and df.empty


def test_cache_follows_imports(graph_data: GraphData, store: NetworkXStore, tmp_path: Path) -> None:
    assert store.snapshot is not None
    shutil.copy(store.snapshot, tmp_path / "graph.pickle")
    copy = NetworkXStore(tmp_path / "graph.pickle")
    before = Q.matches(copy, ULM, 30, topics=["strategy-development"])
    erbach = "08425039"  # Erbach (Donau), 12 km from Ulm, not funded
    assert erbach not in set(before["ags"])
    copy.add_participation(
        [ParticipationRecord(erbach, "survey", "2025-01-01", "later", topic="strategy-development")]
    )
    after = Q.matches(copy, ULM, 30, topics=["strategy-development"])
    assert set(after["ags"]) == set(before["ags"]) | {erbach}


def test_kept_parts_never_change_an_answer(store: NetworkXStore) -> None:
    """What ``matches`` keeps in the context as questions come (areas, each place's topic parts,
    the places' Gemeinden) gives the answers a fresh context gives, in any order of questions,
    topics and evidence levels; and a reader changing an answer changes no later answer."""
    questions = [
        (ULM, 50.0, None, None),
        (ULM, 50.0, None, "registered"),
        (ULM, 50.0, ["mobility"], None),
        ("Bayern", 20.0, None, None),
        (BLAUSTEIN, 80.0, None, "survey"),
        ("08425", 40.0, ["mobility", "energy"], None),
    ]
    fresh = []
    for region, km, topics, least in questions:
        Q.clear_cache(store)
        fresh.append(Q.matches(store, region, km, topics=topics, min_evidence=least))
    assert sum(len(df) for df in fresh) > 100 and any(df["level"].ne("gemeinde").any() for df in fresh)
    Q.clear_cache(store)
    for (region, km, topics, least), expected in zip(questions * 2, fresh * 2, strict=True):
        got = Q.matches(store, region, km, topics=topics, min_evidence=least)
        pd.testing.assert_frame_equal(got, expected)
        for items in got["evidence"]:
            for item in items:
                item["reason"] = "changed by a reader"
        for reasons in got["reasons"]:
            reasons.append("changed by a reader")


def test_match_rows_make_a_page_only_and_equal_the_frame(store: NetworkXStore) -> None:
    """``match_rows`` (what the API pages) are the rows of ``matches``' frame, with the columns in
    its order; a page of them makes only its own rows."""
    rows = Q.match_rows(store, ULM, 50.0)
    page = rows.part(3, 8)
    made = page.records()
    assert len(made) == 5 and rows.make is not None  # the rest of the answer is still unmade
    assert all(list(r) == Q.MATCH_COLUMNS for r in rows.rows) and rows.make is None
    assert made == rows.rows[3:8]
    pd.testing.assert_frame_equal(rows.frame(), Q.matches(store, ULM, 50.0))


def test_kept_distances_to_projects_equal_computed_ones(
    store: NetworkXStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Gemeinde's distance to a territory is computed once per context and then read: the same
    floats, also across the bound (kept distances cleared) and for overlapping questions."""
    import numpy as np

    from lernnetz.graph.analytics import context as C

    ctx = C._context(store)
    monkeypatch.setattr(C, "_PROJECT_KM", 90)
    for pid in ("ulm", sorted(ctx.projects)[0]):
        for lo in range(0, 400, 40):
            pos = list(range(lo, lo + 60))
            want = ctx.distance_to_project(np.array(pos, dtype=np.int64), pid).tolist()
            assert ctx.distances_to_project(pos, pid) == want
            assert ctx.distances_to_project(pos, pid) == want
        assert 0 < len(ctx.project_km[pid]) <= 90


# ---------------------------------------------------------------------------- recommend


def _reference_recommend(
    ref: Reference, register: Register, programme: Programme, ags: str
) -> list[tuple[str, float]]:
    """The documented topic list, recomputed from the loader records."""
    pops = {m.ags: m.population for m in register.municipalities}
    mine = ref.topics_of.get(ags, set())
    total = sum(ref.idf(t) * ref.strength(ags, t) for t in mine)
    out = []
    for p in programme.projects:
        terr = sorted(a for a in ref.territory.get(p.id, set()) if a in ref.coords)
        shared = mine & ref.project_topics.get(p.id, set())
        if ags in ref.territory.get(p.id, set()) or not terr or not shared:
            continue
        topic = sum(ref.idf(t) * ref.strength(ags, t) for t in shared) / total
        d = ref.dist_to_set(ags, terr)
        other = (
            statistics.median(pops[a] for a in terr) if len(terr) > 1 or p.category == "IK" else pops[terr[0]]
        )
        size = max(0.0, 1 - abs(math.log10(pops[ags] / int(other))) / 2)
        out.append((p.id, topic * 0.5 ** (d / 50) * (0.75 + 0.25 * size), d))
    out.sort(key=lambda x: (-round(x[1], 6), x[2], x[0]))
    return [(pid, s) for pid, s, _ in out]


@pytest.mark.parametrize("ags", [BLAUSTEIN, LANGENAU, NEU_ULM, "12054000"])
def test_recommend_equals_the_documented_formula(
    store: NetworkXStore, ref: Reference, register: Register, programme: Programme, ags: str
) -> None:
    df = Q.recommend(store, ags, top=5)
    assert list(df.columns) == Q.RECOMMEND_COLUMNS
    topics = df[df["section"] == "topics"]
    expected = _reference_recommend(ref, register, programme, ags)[:5]
    assert list(topics["project_id"]) == [pid for pid, _ in expected]
    assert list(topics["score"]) == pytest.approx([s for _, s in expected], abs=1e-6)
    assert list(topics["rank"]) == list(range(1, len(expected) + 1))
    assert all(isinstance(r, list) and r for r in df["reasons"])
    # a project that shares none of the municipality's topics is never in the topic list
    assert all(set(s) & ref.topics_of[ags] for s in topics["shared_topics"])
    near = df[df["section"] == "nearby"]
    assert (near["distance_km"] <= 50.0).all() and list(near["rank"]) == list(range(1, len(near) + 1))
    assert list(near["distance_km"]) == sorted(near["distance_km"])


def test_recommend_blaustein_sees_ulm_next_door(store: NetworkXStore, ref: Reference) -> None:
    blau = Q.recommend(store, BLAUSTEIN, top=3)
    d_ulm = hav(*ref.coords[BLAUSTEIN], *ref.coords[ULM])  # 5.4 km by hand
    near = blau[blau["section"] == "nearby"]
    first = near.iloc[0]
    assert first["project_id"] == "ulm" and first["rank"] == 1
    assert first["distance_km"] == pytest.approx(d_ulm, abs=0.01) and 5.3 < d_ulm < 5.5
    assert first["score"] == pytest.approx(0.5 ** (d_ulm / 50), abs=1e-6)
    # the topic list: Ulm shares strategy-development (hand-made survey) and is 5 km away,
    # so it outranks every far project addressing the same topics
    topics = blau[blau["section"] == "topics"]
    top = topics.iloc[0]
    assert top["project_id"] == "ulm" and "strategy-development" in top["shared_topics"]
    assert any("Strategieentwicklung" in r for r in top["reasons"])
    assert any("km away" in r for r in top["reasons"])
    size = next(r for r in top["reasons"] if r.startswith("size:"))
    assert "Blaustein" in size and "Ulm is one Gemeinde of" in size and "similarity" in size
    # the same project 200 km away would score 0.5^(200/50) = 1/16 of it: a clear margin
    assert top["distance_score"] / 0.5 ** (200 / 50) > 14


def test_recommend_reasons_and_exclusions(store: NetworkXStore, register: Register) -> None:
    assert "ulm" not in set(
        Q.recommend(store, ULM, top=20)["project_id"]
    )  # its own project is not recommended
    quiet = next(
        m.ags for m in register.municipalities
        if not m.is_unincorporated and m.ags not in {r.ags for r in HAND} and m.ags.startswith("16")
        and m.ags not in set(store.interests()["ags"]) and m.ags not in set(store.attendances()["ags"])
    )  # fmt: skip
    q = Q.recommend(store, quiet, top=2, reach_km=200)
    assert (q["section"] == "nearby").all() and len(q) == 3  # no topics: nothing in the topic list
    assert all("no recorded interests" in r[0] for r in q["reasons"])
    with pytest.raises(InvalidArgument):
        Q.recommend(store, "07137", top=3)  # a Kreis, not a Gemeinde
    with pytest.raises(InvalidArgument):
        Q.recommend(store, BLAUSTEIN, top=0)
    with pytest.raises(InvalidArgument):
        Q.recommend(store, BLAUSTEIN, min_evidence="rumour")


def test_recommend_resolves_a_name_to_the_gemeinde(store: NetworkXStore) -> None:
    # "Neu-Ulm" is the town (09775135) and the Landkreis (09775): recommend takes Gemeinden only
    by_name = Q.recommend(store, "Neu-Ulm")
    pd.testing.assert_frame_equal(by_name, Q.recommend(store, NEU_ULM))
    assert any("Neu-Ulm" in r for r in by_name["reasons"].iloc[0])
    with pytest.raises(Ambiguous):
        Q.recommend(store, "Neustadt")  # many Gemeinden


def test_min_evidence_drops_weaker_kinds(store: NetworkXStore, ref: Reference) -> None:
    # Blaustein's strategy-development comes from a hand-made survey answer only (besides synthetic rows)
    all_kinds = Q.matches(store, ULM, 30, topics=["strategy-development"])
    strong = Q.matches(store, ULM, 30, topics=["strategy-development"], min_evidence="registered")
    assert set(strong["ags"]) <= set(all_kinds["ags"])
    for r in strong.to_dict(orient="records"):
        assert all(e["kind"] in {"registered", "attended", "peer-learning"} for e in r["evidence"])
    survey_only = {
        r["ags"]
        for r in all_kinds.to_dict(orient="records")
        if {e["kind"] for e in r["evidence"]} == {"survey"}
    }
    assert survey_only and not survey_only & set(strong["ags"])
    ln = Q.learning_networks(store, ULM, None, 30, min_evidence="attended")
    assert (
        not set(ln.unassigned["ags"]) & survey_only
        and not {a for ms in ln.groups["members"] for a in ms} & survey_only
    )


# ---------------------------------------------------------------------------- learning networks


def test_learning_networks_groups_are_feasible_and_complete(store: NetworkXStore, ref: Reference) -> None:
    radius = 40.0
    ln = Q.learning_networks(store, ULM, None, radius, max_size=5, seed=42)
    assert list(ln.groups.columns) == Q.GROUP_COLUMNS and list(ln.members.columns) == Q.MEMBER_COLUMNS
    area = ref.area([ULM], radius)
    candidates = {a for a in area if a not in ref.funded and ref.topics_of.get(a)}
    assigned = [a for ms in ln.groups["members"] for a in ms if len(a) == 8]  # Gemeinden (places: below)
    assert len(assigned) == len(set(assigned))  # one group per member
    gemeinde_unassigned = ln.unassigned[ln.unassigned["level"] == "gemeinde"]
    assert set(assigned) | set(gemeinde_unassigned["ags"]) == candidates  # nobody disappears
    assert not set(assigned) & set(ln.unassigned["ags"])
    for g in ln.groups.to_dict(orient="records"):
        assert 1 <= g["size"] == len(g["members"]) and sum(len(a) == 8 for a in g["members"]) <= 5
        hub = g["hub_project"]
        assert any(a in area for a in ref.territory[hub])  # the hub lies within the radius of the region
        for a in (a for a in g["members"] if len(a) == 8):
            shared = ref.topics_of[a] & ref.project_topics[hub]
            assert shared and shared <= set(ref.project_topics[hub])
            assert ref.dist_to_set(a, ref.territory[hub]) <= radius + 0.01
        assert set(g["topics"]) <= ref.project_topics[hub]
    members = ln.members[(ln.members["role"] == "member") & (ln.members["level"] == "gemeinde")]
    assert sorted(members["ags"]) == sorted(assigned)
    # Kreise/Verbände (other-programme evidence) are candidates of their own level, never spread
    places = ln.members[ln.members["level"] != "gemeinde"]
    assert set(places["group_id"]) <= set(ln.groups["group_id"]) and not places["funded"].any()
    assert all(r for r in ln.unassigned["reason"])
    assert -1.0 <= ln.stability <= 1.0
    assert ln.params["seed"] == 42 and ln.params["max_size"] == 5


def test_learning_networks_are_deterministic_and_exportable(store: NetworkXStore) -> None:
    a = Q.learning_networks(store, "07137", "mobility", 30, max_size=4, seed=7)
    b = Q.learning_networks(store, "07137", "mobility", 30, max_size=4, seed=7)
    for x, y in ((a.groups, b.groups), (a.members, b.members), (a.unassigned, b.unassigned)):
        assert x.to_dict(orient="records") == y.to_dict(orient="records")
    assert a.params["topic"] == "mobility"
    assert all(g == ["mobility"] for g in a.groups["topics"])
    G = a.to_graph()
    assert isinstance(G, nx.Graph)
    kinds = nx.get_node_attributes(G, "kind")
    assert set(kinds.values()) <= {"project", "funded", "candidate", "topic", "event"}
    assert sum(1 for k in kinds.values() if k == "candidate") == int(a.groups["size"].sum())
    assert sum(1 for k in kinds.values() if k == "project") == a.groups["hub_project"].nunique()
    assert "funded" not in set(kinds.values())  # the hub's territory is the hub: one node, no Gemeinden
    for _, data in G.nodes(data=True):
        assert {"kind", "label", "lat", "lon", "population", "title"} <= set(data)
    json.dumps(
        [d for _, d in G.nodes(data=True)] + [d for _, _, d in G.edges(data=True)]
    )  # plain Python types
    assert all("label" in d for _, _, d in G.edges(data=True))


def test_learning_networks_bad_input(store: NetworkXStore) -> None:
    with pytest.raises(InvalidArgument):
        Q.learning_networks(store, ULM, max_size=0)
    with pytest.raises(NotFound):
        Q.learning_networks(store, ULM, topic="no-such-topic")
    with pytest.raises(InvalidArgument):
        Q.learning_networks(store, ULM, radius_km=5000)


# ---------------------------------------------------------------------------- white spots, events


def test_white_spots_equal_an_independent_reference(store: NetworkXStore, ref: Reference) -> None:
    radius = 50.0
    df = Q.white_spots(store, "energy", radius)
    assert set(df["level"]) <= {"gemeinde"}  # no Kreis or Verband has evidence of energy
    hosts = [p for p, ts in ref.project_topics.items() if "energy" in ts]
    expected = {}
    for a, ts in ref.topics_of.items():
        if "energy" in ts:
            d, pid = min((ref.dist_to_set(a, ref.territory[p]), p) for p in hosts)
            if d > radius:
                expected[a] = (d, pid)
    assert set(df["ags"]) == set(expected) and LANGENAU in expected
    for r in df.to_dict(orient="records"):
        d, pid = expected[r["ags"]]
        assert abs(r["nearest_project_km"] - d) < 0.01 and r["nearest_project"] == pid
    by = Q.white_spots_by_district(store, "energy", radius)
    assert int(by["municipalities"].sum()) == len(df)
    assert int(by["population"].sum()) == int(df["population"].sum())
    assert list(by.columns) == Q.WHITE_SPOT_DISTRICT_COLUMNS


def test_plan_events_greedy_coverage(store: NetworkXStore, ref: Reference) -> None:
    radius, topic = 40.0, "mobility"
    plan = Q.plan_events(store, topic, 4, radius)
    hosts = [p for p, ts in ref.project_topics.items() if topic in ts]
    interested = {a for a, ts in ref.topics_of.items() if topic in ts and a not in ref.funded}
    # Kreise/Verbände with evidence of the topic are units of their own (distance from their nearest Gemeinde)
    places = {k for k, ts in ref.place_topics().items() if topic in ts and not ref.place_funded(k)}
    covers = {p: {a for a in interested if ref.dist_to_set(a, ref.territory[p]) <= radius}
                 | {k for k in places if ref.place_distance(k, ref.territory[p]) <= radius} for p in hosts}  # fmt: skip
    assert set(plan.hosts["project_id"]) <= set(hosts)
    # the first pick is the single best host; each next pick adds no more than the one before
    assert plan.hosts.iloc[0]["newly_covered"] == max(len(c) for c in covers.values())
    newly = list(plan.hosts["newly_covered"])
    assert newly == sorted(newly, reverse=True) and all(n > 0 for n in newly)
    assert list(plan.hosts["covered_total"]) == [sum(newly[: i + 1]) for i in range(len(newly))]
    chosen = set(plan.hosts["project_id"])
    assert set(plan.coverage["ags"]) == set().union(*(covers[p] for p in chosen))
    assert set(plan.coverage["ags"]) | set(plan.uncovered["ags"]) == interested | places
    assert places and set(plan.coverage["level"]) | set(plan.uncovered["level"]) >= {"gemeinde", "verband"}
    for a in plan.uncovered["ags"]:
        d = ref.dist_to_set if len(a) == 8 else ref.place_distance
        assert all(d(a, ref.territory[p]) > radius for p in chosen)
    with pytest.raises(InvalidArgument):
        Q.plan_events(store, topic, 0, radius)
    with pytest.raises(NotFound):
        Q.plan_events(store, "nothing-like-this", 2, radius)


# ---------------------------------------------------------------------------- connections


def test_connections_luebeck_werdohl_and_membership(store: NetworkXStore, register: Register) -> None:
    werdohl = next(m.ags for m in register.municipalities if m.name.startswith("Werdohl"))
    c = Q.connections(store, "luebeck", werdohl)
    assert c.a["kind"] == "project" and c.b == {"kind": "municipality", "key": werdohl, "name": c.b["name"]}
    assert ("EXCHANGES_WITH", "luebeck", werdohl) in set(
        zip(c.ties["type"], c.ties["from_key"], c.ties["to_key"], strict=True)
    )
    assert c.paths and c.paths[0][0]["key"] == "luebeck" and c.paths[0][-1]["key"] == werdohl
    assert set(c.to_frame()["connection"]) >= {"tie", "path"}
    m = Q.connections(store, ULM, "ulm")
    assert "MEMBER_OF" in set(m.ties["type"])
    # a Gemeinde with a hand-made interest in what Ulm addresses shares that topic with the project
    s = Q.connections(store, BLAUSTEIN, "ulm")
    assert "strategy-development" in set(s.shared_topics["topic"])
    assert all(len(p) >= 2 for p in s.paths)
    with pytest.raises(InvalidArgument, match="is a state"):  # a Land is no end of a connection
        Q.connections(store, "08", "ulm")
    kreis = Q.connections(store, "07137", "landkreis-mayen-koblenz")  # a Kreis is (issue 11)
    assert kreis.a["kind"] == "district" and kreis.ties["type"].tolist() == ["MEMBER_OF"]
    with pytest.raises(InvalidArgument):
        Q.connections(store, "ulm", "ulm")


# ---------------------------------------------------------------------------- CLI


def test_cli_commands(store: NetworkXStore, settings: Settings, tmp_path: Path) -> None:
    assert store.snapshot is not None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(store.snapshot, settings.snapshot_path)
    runner = CliRunner()
    res = runner.invoke(
        app, ["match", ULM, "--radius-km", "30", "--topic", "strategy-development", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert isinstance(rows, list) and rows
    assert {"ags", "name", "distance_km", "shared_topics", "projects"} <= set(rows[0])
    assert BLAUSTEIN in {r["ags"] for r in rows}
    assert "SYNTHETIC" in res.stderr  # results on synthetic data say so
    res = runner.invoke(app, ["match", "Atlantis", "-r", "10"])
    assert res.exit_code == 2 and "Atlantis" in res.stderr
    res = runner.invoke(app, ["match", ULM, "-r", "0"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["recommend", BLAUSTEIN, "--top", "2", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0].startswith("section,rank,project_id")
    assert {"topics", "nearby"} <= {line.split(",")[0] for line in res.stdout.splitlines()[1:]}
    res = runner.invoke(app, ["recommend", BLAUSTEIN, "--format", "geojson"])  # rows without places
    assert res.exit_code == 2 and "no coordinates" in res.stderr and res.exception is not None
    assert isinstance(res.exception, SystemExit)
    html = tmp_path / "net.html"
    res = runner.invoke(
        app, ["networks", ULM, "-r", "30", "--html", str(html), "--format", "json", "--part", "members"]
    )
    assert res.exit_code == 0, res.output
    assert html.exists() and html.stat().st_size > 1000
    assert isinstance(json.loads(res.stdout), list)
    res = runner.invoke(app, ["white-spots", "energy", "-r", "50", "--by-district", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.startswith("district_key,")
    res = runner.invoke(app, ["plan-events", "mobility", "-k", "2", "-r", "40", "--format", "json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) <= 2
    # the README's forms: --topic as an option, a region, a minimum evidence
    res = runner.invoke(
        app, ["white-spots", "--topic", "mobility", "-r", "30", "--region", "Bayern", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    spots = json.loads(res.stdout)
    assert [r["ags"] for r in spots] == list(Q.white_spots(store, "mobility", 30, region="Bayern")["ags"])
    assert spots and all(r["state"] == "Bayern" or r["ags"][:2] != "09" for r in spots)
    res = runner.invoke(app, ["plan-events", "--topic", "mobility", "--k", "3", "--radius-km", "60",
                              "--region", "07137", "--min-evidence", "registered", "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    want = Q.plan_events(store, "mobility", 3, 60, region="07137", min_evidence="registered").hosts
    assert [h["project_id"] for h in json.loads(res.stdout)] == list(want["project_id"])
    res = runner.invoke(app, ["white-spots", "mobility", "--topic", "energy"])
    assert res.exit_code == 2 and "two different topics" in res.stderr
    res = runner.invoke(app, ["plan-events", "--min-evidence", "rumour", "--topic", "mobility"])
    assert res.exit_code == 2 and "min_evidence" in res.stderr
    res = runner.invoke(app, ["connections", "luebeck", "05962060", "--format", "json"])
    assert res.exit_code == 0
    linked = json.loads(res.stdout)
    assert linked["ties"] and linked["paths"] and linked["paths"][0][-1]["key"] == "05962060"
