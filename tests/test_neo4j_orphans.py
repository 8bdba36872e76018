"""Issue 16, crash windows on Neo4j: the generation a killed load left half-written is deleted at
the start of the next load; a load that is only slow keeps its generation (heartbeat)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from neo4j import Driver

from lernnetz.graph.model import GraphData, NodeKind
from lernnetz.graph.store import cypher as cy
from lernnetz.graph.store import neo4j_loads
from lernnetz.graph.store.neo4j_store import Neo4jStore
from lernnetz.loaders.records import Register
from tests.test_neo4j_faults import land_data

pytestmark = pytest.mark.neo4j

MUNICIPALITY = cy.label(NodeKind.MUNICIPALITY)


@pytest.fixture(scope="module")
def saarland(register: Register) -> GraphData:
    return land_data(register, None, "10")


@pytest.fixture
def store(neo4j_driver: Driver, saarland: GraphData) -> Iterator[Neo4jStore]:
    s = Neo4jStore(neo4j_driver)
    s.wipe()
    s.replace(saarland)
    yield s


def _q(driver: Driver, query: str, **params: object) -> list[list[object]]:
    return [list(r) for r in driver.execute_query(query, params, database_="neo4j").records]


def _by_gen(driver: Driver) -> dict[int, int]:
    rows = _q(driver, "MATCH (n) WHERE n.gen IS NOT NULL RETURN n.gen, count(n)")
    return {int(g): int(n) for g, n in rows}  # type: ignore[call-overload]


def _half_written_generation(driver: Driver, *, beat_age_s: float, n: int = 700) -> int:
    """What a load does before it is killed: reserve a generation, register itself, write
    some nodes and relationships of it; then its heartbeat stops (``beat_age_s`` ago)."""
    ((gen, _active),) = _q(driver, cy.NEXT_GENERATION, graph_id=cy.GRAPH_ID)
    assert isinstance(gen, int)
    _q(
        driver,
        f"UNWIND range(1, $n) AS i CREATE (m:{MUNICIPALITY} {{ags: 'x' + toString(i), gen: $gen}}) "
        f"WITH m, i WHERE i > 1 MATCH (p:{MUNICIPALITY} {{ags: 'x' + toString(i - 1), gen: $gen}}) "
        "CREATE (m)-[:NEIGHBOUR_OF]->(p)",
        n=n,
        gen=gen,
    )
    _q(
        driver,
        f"MATCH (l:{cy.LOAD_LABEL} {{load_gen: $gen}}) SET l.beat = datetime() - duration({{seconds: $age}})",
        gen=gen,
        age=int(beat_age_s),
    )
    return gen


def test_a_killed_loads_generation_is_deleted_at_the_start_of_the_next_load(
    store: Neo4jStore, neo4j_driver: Driver, saarland: GraphData
) -> None:
    active = _by_gen(neo4j_driver)
    assert len(active) == 1
    before = store.municipalities()
    dead = _half_written_generation(neo4j_driver, beat_age_s=3600)
    alive = _half_written_generation(neo4j_driver, beat_age_s=0, n=50)  # a load still running elsewhere
    # an orphan of a load killed before loads had markers: no marker at all
    _q(neo4j_driver, f"CREATE (:{MUNICIPALITY} {{ags: 'old', gen: 9999}})")
    assert _by_gen(neo4j_driver)[dead] == 700
    # readers never see any of it
    assert store.municipalities().equals(before)

    def stop_at_once(stage: str, done: int, total: int) -> None:
        raise RuntimeError("stopped right after the start")

    with pytest.raises(RuntimeError, match="right after the start"):
        store.replace(saarland, progress=stop_at_once)
    left = _by_gen(neo4j_driver)
    assert dead not in left and 9999 not in left  # swept at the start, before anything was written
    assert left == {**active, alive: 50}  # the live load's nodes and the active graph are untouched
    assert store.municipalities().equals(before)
    dead_markers = _q(neo4j_driver, f"MATCH (l:{cy.LOAD_LABEL}) RETURN l.load_gen ORDER BY l.load_gen")
    assert dead_markers == [[alive]]
    # the live load ends (as a real one would); a full load then leaves exactly one generation
    _q(neo4j_driver, cy.END_LOAD, graph_id=cy.GRAPH_ID, gen=alive)
    store.replace(saarland)
    assert list(_by_gen(neo4j_driver).values()) == [sum(active.values())]
    assert _q(neo4j_driver, f"MATCH (l:{cy.LOAD_LABEL}) RETURN count(l)") == [[0]]
    assert store.municipalities().equals(before)


def test_a_slow_load_keeps_beating_and_is_not_swept(
    store: Neo4jStore, neo4j_driver: Driver, saarland: GraphData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(neo4j_loads, "STALE_LOAD_S", 1.0)
    monkeypatch.setattr(neo4j_loads, "BEAT_EVERY_S", 0.2)
    store.batch_size = 20
    paused, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow(stage: str, done: int, total: int) -> None:
        if not paused.is_set():
            paused.set()
            go.wait(30)

    def load() -> None:
        try:
            store.replace(saarland, progress=slow)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        assert paused.wait(30)
        time.sleep(2.5)  # longer than STALE_LOAD_S: only the heartbeat keeps the load alive
        gens = _by_gen(neo4j_driver)
        assert len(gens) == 2
        other = Neo4jStore(neo4j_driver)
        assert neo4j_loads.sweep(other._run, other.graph_id, 1000) == 0  # what another load's start does
        assert _by_gen(neo4j_driver) == gens
    finally:
        go.set()
        worker.join(60)
    assert not errors, errors
    assert len(_by_gen(neo4j_driver)) == 1
    assert len(store.municipalities()) == len(saarland.register.municipalities)
