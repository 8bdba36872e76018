"""Faults and bad input on the Neo4j store, against real servers.

* Neo4j unreachable at start → :class:`StoreUnavailable`, quickly, with the URI in the message.
* A server stopped while a store is alive, then started again (a separate server with
  its own port and home folder, so the data survives the restart): calls fail with
  ``StoreUnavailable`` meanwhile and the same store object answers again afterwards.
* A load interrupted half-way (an exception from the progress hook; a bad row in a later
  batch) leaves the previous data queryable, unchanged, with nothing left behind.
* Cypher injection through every string parameter of every store method: no effect.
* The schema: per-generation uniqueness constraints, the point index, and the radius
  query planned as a point-index seek.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from neo4j import Driver

import lernnetz.graph.store.neo4j_write as neo4j_write
from lernnetz.graph.errors import InvalidArgument, NoGraph, StoreUnavailable
from lernnetz.graph.model import GraphData, GraphTables, NodeKind, NodeRow
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import cypher as cy
from lernnetz.graph.store import open_store
from lernnetz.graph.store.neo4j_store import Neo4jStore
from lernnetz.loaders.records import ParticipationRecord, Programme, Register
from tests.neo4j_fixtures import ScratchServer, free_port, make_driver

pytestmark = pytest.mark.neo4j

ULM = "08421000"
STUTTGART = "08111000"
SAARBRUECKEN = "10041100"


def land_data(register: Register, programme: Programme | None, land: str) -> GraphData:
    """The register of one Land, with the programme's topics and events (no projects)."""
    districts = [d for d in register.districts if d.state_code == land]
    keys = {d.key for d in districts}
    reg = Register(
        states=list(register.states),
        districts=districts,
        associations=[a for a in register.associations if a.district_key in keys],
        municipalities=[m for m in register.municipalities if m.state_code == land],
        provenance=register.provenance,
        population_date=register.population_date,
    )
    prog = None
    if programme is not None:
        prog = Programme(
            projects=[],
            members=[],
            topics=list(programme.topics),
            project_topics=[],
            events=[dataclasses.replace(e, host_projects=()) for e in programme.events],
            event_topics=[],
            relations=[],
        )
    return GraphData(register=reg, programme=prog)


def snapshot(store: Neo4jStore) -> dict[str, Any]:
    """What a reader sees: tables, a radius query, a path and the info."""
    return {
        "municipalities": store.municipalities(),
        "districts": store.districts(),
        "topics": store.topics(),
        "interests": store.interests(),
        "near": store.near([ULM], 25.0),
        "one": store.municipalities([STUTTGART]),
        "info": store.info(),
    }


def assert_same_snapshot(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, b[key], obj=key)
        else:
            assert value == b[key], key


def db_counts(driver: Driver) -> tuple[int, int]:
    """All nodes and relationships in the database (every generation, the pointer too)."""
    nodes = driver.execute_query("MATCH (n) RETURN count(n)", database_="neo4j").records[0][0]
    rels = driver.execute_query("MATCH ()-[r]->() RETURN count(r)", database_="neo4j").records[0][0]
    return int(nodes), int(rels)


@pytest.fixture(scope="module")
def bw(register: Register, programme: Programme) -> GraphData:
    """Baden-Württemberg (1,101 Gemeinden, 2 gemeindefreie Gebiete) with topics and events."""
    return land_data(register, programme, "08")


#: What the server showed right after this module last loaded Baden-Württemberg.
_LOADED: dict[str, Any] = {}


def load_bw(driver: Driver, bw: GraphData) -> Neo4jStore:
    """A store on the session's server holding exactly Baden-Württemberg: wiped and loaded,
    unless the server still shows the generation, revision, metadata and counts recorded
    right after this module's last load of it (every replace, import or wipe since changes
    them; a failed load changes nothing, which is what those tests assert)."""
    store = Neo4jStore(driver)
    try:
        current: tuple[Any, ...] | None = (*store._state()[:2], store.info())
    except NoGraph:
        current = None
    if current is None or current != _LOADED.get("state"):
        store.wipe()
        store.replace(bw)
        _LOADED["state"] = (*store._state()[:2], store.info())
    return store


@pytest.fixture
def bw_store(neo4j_driver: Driver, bw: GraphData) -> Iterator[Neo4jStore]:
    """The session's server holding Baden-Württemberg (reloaded only when a test changed it)."""
    yield load_bw(neo4j_driver, bw)


# ---------------------------------------------------------------------------- unreachable


def test_unreachable_at_start_fails_quickly_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, bw: GraphData
) -> None:
    port = free_port()
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{port}")
    store = open_store(Settings(), backend="neo4j")  # creating the driver does not connect
    assert isinstance(store, Neo4jStore)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as err:
            store.ping()
        assert time.monotonic() - started < 15.0
        assert f"127.0.0.1:{port}" in err.value.detail and "not reachable" in err.value.detail
        assert err.value.hint
        assert not isinstance(err.value, NoGraph)
        calls: list[Callable[[], Any]] = [
            store.municipalities, store.districts, store.info, lambda: store.near([ULM], 10.0),
            lambda: store.shortest_paths("Municipality:" + ULM, "Project:ulm"),
            lambda: store.interests(ags=[ULM]), lambda: store.replace(bw),
            lambda: store.add_participation([ParticipationRecord(ULM, "survey", "2024-01-01", "t", topic="x")]),
        ]  # fmt: skip
        for call in calls:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                call()
            assert time.monotonic() - started < 2.0  # known outage: one connection attempt, no retries
    finally:
        store.close()


def test_cli_with_neo4j_unreachable_exits_1_with_a_message() -> None:
    from typer.testing import CliRunner

    from lernnetz.api.cli.common import app

    uri = f"bolt://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, ["stats", "--backend", "neo4j"], env={"NEO4J_URI": uri})
    assert result.exit_code == 1, result.output
    assert f"Neo4j at {uri} is not reachable" in " ".join(result.output.split())
    assert "hint:" in result.output
    assert "Traceback" not in result.output and "will be retried" not in result.output


# ---------------------------------------------------------------------------- restart


def test_server_stopped_and_started_again(scratch_server: ScratchServer, register: Register) -> None:
    saarland = land_data(register, None, "10")  # small: this test is about the connection
    server = scratch_server
    server.ensure_started()
    driver = make_driver(server.uri)
    store = Neo4jStore(driver, uri=server.uri)

    def seen() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        return store.municipalities(), store.near([SAARBRUECKEN], 25.0), store.info()

    try:
        store.replace(saarland)
        before = seen()
        assert len(before[0]) == len(saarland.register.municipalities) and len(before[1]) > 5
        server.stop()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="not reachable"):
            store.municipalities()  # cached before, but never served while the server is down
        assert time.monotonic() - started < 15.0
        for call in (store.ping, store.info, lambda: store.near([SAARBRUECKEN], 25.0), store.districts):
            with pytest.raises(StoreUnavailable):
                call()
        server.start()  # same home folder: the data is still there
        store.ping()  # the same store object, no reconnect by hand
        after = seen()
        pd.testing.assert_frame_equal(before[0], after[0])
        pd.testing.assert_frame_equal(before[1], after[1])
        assert before[2] == after[2]
    finally:
        driver.close()  # the server stays up for the next restart test (session fixture)


# ---------------------------------------------------------------------------- interrupted loads


def test_load_interrupted_by_the_progress_hook_keeps_the_previous_data(
    bw_store: Neo4jStore, neo4j_driver: Driver, register: Register
) -> None:
    before, counts = snapshot(bw_store), db_counts(neo4j_driver)
    bavaria = land_data(register, None, "09")  # 2,230 Gemeinden and gemeindefreie Gebiete: many batches
    bw_store.batch_size = 500
    calls: list[tuple[str, int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        calls.append((stage, done, total))
        if done > total // 2:
            raise RuntimeError("interrupted half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        bw_store.replace(bavaria, progress=progress)
    assert len(calls) > 3 and calls[-1][1] < calls[-1][2]
    assert_same_snapshot(before, snapshot(bw_store))
    assert db_counts(neo4j_driver) == counts  # the partial generation was removed
    bw_store.replace(bavaria, progress=lambda *_: None)  # and a full load still works
    assert len(bw_store.municipalities()) == len(bavaria.register.municipalities) == 2230


def test_load_failing_on_a_bad_row_in_a_later_batch_keeps_the_previous_data(
    bw_store: Neo4jStore, neo4j_driver: Driver, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, counts = snapshot(bw_store), db_counts(neo4j_driver)
    real_build = neo4j_write.build_tables

    def build_with_a_bad_row(data: GraphData) -> GraphTables:
        tables = real_build(data)
        # a nested map is not a valid Neo4j property value: the last node batch fails
        tables.nodes.append(NodeRow(NodeKind.TOPIC, "bad", {"slug": "bad", "label_de": {"nested": 1}}))
        return tables

    monkeypatch.setattr(neo4j_write, "build_tables", build_with_a_bad_row)
    bw_store.batch_size = 400
    with pytest.raises(InvalidArgument, match="Neo4j rejected a batch of Topic nodes"):
        bw_store.replace(land_data(register, None, "09"))
    assert_same_snapshot(before, snapshot(bw_store))
    assert db_counts(neo4j_driver) == counts


def test_load_with_an_unknown_edge_endpoint_writes_nothing(
    bw_store: Neo4jStore, neo4j_driver: Driver, bw: GraphData
) -> None:
    before, counts = snapshot(bw_store), db_counts(neo4j_driver)
    bad = dataclasses.replace(bw, neighbours=[(ULM, "99999999", 1.0)])
    with pytest.raises(
        InvalidArgument, match="NEIGHBOUR_OF edge refers to an unknown node 'Municipality:99999999'"
    ):
        bw_store.replace(bad)
    assert_same_snapshot(before, snapshot(bw_store))
    assert db_counts(neo4j_driver) == counts


def test_loading_twice_changes_nothing(bw_store: Neo4jStore, neo4j_driver: Driver, bw: GraphData) -> None:
    before, counts = snapshot(bw_store), db_counts(neo4j_driver)
    bw_store.replace(bw)
    assert_same_snapshot(before, snapshot(bw_store))
    assert db_counts(neo4j_driver) == counts  # the old generation is gone, nothing duplicated


def test_no_graph_loaded(neo4j_driver: Driver) -> None:
    store = Neo4jStore(neo4j_driver)
    store.wipe()
    with pytest.raises(NoGraph, match="no graph is loaded"):
        store.ping()
    with pytest.raises(NoGraph):
        store.municipalities()


# ---------------------------------------------------------------------------- injection

PAYLOADS = [
    "x' }) MATCH (n) DETACH DELETE n //",
    'x" }) MATCH (n) DETACH DELETE n //',
    "x`) MATCH (n) DETACH DELETE n //",
    "08421000' OR 1=1 //",
    "' OR '1'='1",
    "$gen",
    "Municipality`) DETACH DELETE n //",
    "}]->() MATCH (n) DETACH DELETE n RETURN 1 //",
]


@pytest.fixture(scope="module")
def bw_shared(neo4j_driver: Driver, bw: GraphData) -> Neo4jStore:
    """Baden-Württemberg loaded once for the read-only injection tests (they change nothing)."""
    return load_bw(neo4j_driver, bw)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_cypher_injection_through_every_string_parameter_has_no_effect(
    bw_shared: Neo4jStore, neo4j_driver: Driver, bw: GraphData, payload: str
) -> None:
    s = bw_shared
    before, counts = snapshot(s), db_counts(neo4j_driver)
    assert before["info"]["nodes"]["Municipality"] == len(bw.register.municipalities) == 1103
    empty_calls: list[Callable[[], pd.DataFrame]] = [
        lambda: s.municipalities([payload]), lambda: s.territories([payload]), lambda: s.members([payload]),
        lambda: s.interests(ags=[payload]), lambda: s.interests(topics=[payload]),
        lambda: s.interests(ags=[payload], topics=[payload]), lambda: s.attendances([payload]),
        lambda: s.near([payload], 50.0), lambda: s.near([ULM, payload], -1.0),
    ]  # fmt: skip
    for call in empty_calls:
        assert call().empty
    for a, b in [
        (payload, "Municipality:" + ULM),
        ("Municipality:" + payload, "Municipality:" + ULM),
        (payload + ":x", "Topic:" + payload),
        ("Topic:mobility", "Event:" + payload),
    ]:
        assert s.shortest_paths(a, b) == []
    for record in [
        ParticipationRecord(payload, "survey", "2024-01-01", "t", topic="mobility"),
        ParticipationRecord(ULM, "survey", "2024-01-01", "t", topic=payload),
        ParticipationRecord(ULM, "attended", "2024-01-01", "t", event_id=payload),
    ]:
        with pytest.raises(InvalidArgument, match="unknown"):
            s.add_participation([record])
    # labels, types and property names only from the allow-list
    for bad in (payload, "Municipality:x"):
        with pytest.raises(ValueError):
            cy.label(bad)
        with pytest.raises(ValueError):
            cy.rel_type(bad)
        with pytest.raises(ValueError):
            cy.merge_edges("MEMBER_OF", bad, "Project")
    with pytest.raises(ValueError):
        cy.node_table(NodeKind.MUNICIPALITY, [payload], ["ags"], by_key=False)
    with pytest.raises(StoreUnavailable, match="has no database"):
        Neo4jStore(neo4j_driver, database=payload).ping()
    assert db_counts(neo4j_driver) == counts
    assert_same_snapshot(before, snapshot(s))


def test_injected_values_are_stored_and_read_back_literally(
    bw_store: Neo4jStore, neo4j_driver: Driver
) -> None:
    nodes, rels = db_counts(neo4j_driver)
    for n, payload in enumerate(PAYLOADS, start=1):
        record = ParticipationRecord(STUTTGART, payload, payload, payload, topic="mobility")
        assert bw_store.add_participation([record]) == 1
        got = bw_store.interests(ags=[STUTTGART])
        assert [payload, payload, payload] in got[["kind", "date", "source"]].values.tolist()
        assert db_counts(neo4j_driver) == (nodes, rels + n)


# ---------------------------------------------------------------------------- schema


def test_schema_and_point_index_plan(bw_store: Neo4jStore, neo4j_driver: Driver) -> None:
    constraints = {
        (r["labelsOrTypes"][0], tuple(r["properties"]))
        for r in neo4j_driver.execute_query(cy.SHOW_CONSTRAINTS, database_="neo4j").records
    }
    for label, key in [("Municipality", "ags"), ("District", "key"), ("State", "code"), ("Project", "id"),
                       ("Topic", "slug"), ("Event", "id")]:  # fmt: skip
        assert (label, (key, "gen")) in constraints
    indexes = neo4j_driver.execute_query(cy.SHOW_INDEXES, database_="neo4j").records
    point = [r for r in indexes if r["type"] == "POINT"]
    assert [(r["labelsOrTypes"], r["properties"], r["state"]) for r in point] == [
        (["Municipality"], ["location"], "ONLINE")
    ]
    assert all(r["state"] == "ONLINE" for r in indexes)
    plan = neo4j_driver.execute_query(
        "EXPLAIN " + cy.NEAR, {"graph_id": cy.GRAPH_ID, **cy.near_params([ULM], 20.0)}, database_="neo4j"
    ).summary.plan
    assert plan is not None
    seeks: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node["operatorType"].startswith("NodeIndexSeekByRange"):
            seeks.append(str(node["args"].get("Details", "")))
        for child in node.get("children", []):
            walk(child)

    walk(plan)
    assert any("POINT INDEX m:Municipality(location)" in d for d in seeks), seeks
