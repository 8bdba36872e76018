"""The store contract: NetworkX and Neo4j hold the same real graph and give the same answers.

Both stores are loaded with the same data: the official register (Destatis, Gebietsstand
31.12.2020), the curated programme in ``data/``, the Gemeinde neighbourhood derived from the
BKG VG5000 boundaries (``../shared/data/derived``, pairs of the register's AGS) and the fixed
participation list below.

* ``test_<method>_*`` tests are parametrised over both stores and check each store
  against expectations computed independently from the loader records.
* ``test_cross_store_*`` compute every store call on both stores and compare the
  DataFrames with ``assert_frame_equal`` (same columns, dtypes, rows and order;
  distances within 0.01 km — in practice they agree to about 1e-9 km).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from neo4j import Driver

from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.model import GraphData, NodeKind, edge_key, participation_edges
from lernnetz.graph.store import GraphStore, memo
from lernnetz.graph.store import protocol as S
from lernnetz.graph.store.neo4j_store import Neo4jStore
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.graph.tables import build_tables
from lernnetz.loaders.records import ParticipationRecord, Programme, Register, RelationRecord

# A fixed participation list: real municipalities, topics and events of data/.
# Two rows share an identity (Blaubeuren/mobility/survey) with different weights.
PARTICIPATION = [
    ParticipationRecord("09775135", "survey", "2024-03-01", "contract-test", topic="mobility", weight=2.0),
    ParticipationRecord("09775135", "survey", "2024-03-01", "contract-test", topic="digital-twin"),
    ParticipationRecord("08425020", "survey", "2024-03-01", "contract-test", topic="mobility", weight=1.0),
    ParticipationRecord("08425020", "survey", "2024-03-01", "contract-test", topic="mobility", weight=3.0),
    ParticipationRecord(
        "08425072",
        "registered",
        "2022-04-05",
        "contract-test",
        topic="buergerbeteiligung",
        event_id="rk-03-2022-04-05",
    ),
    ParticipationRecord("08425033", "attended", "2022-04-05", "contract-test", event_id="rk-03-2022-04-05"),
    ParticipationRecord(
        "05766008",
        "attended",
        "2022-03-31",
        "contract-test",
        topic="akteursnetzwerke",
        event_id="rk-02-2022-03-31",
    ),
    ParticipationRecord(
        "07111000",
        "attended",
        "2022-03-22",
        "contract-test",
        topic="buergerbeteiligung",
        event_id="rk-01-2022-03-22",
    ),
    ParticipationRecord("05916000", "survey", "2023-05-10", "contract-test", topic="energy", weight=0.5),
    ParticipationRecord("14626110", "peer-learning", "2023-06-01", "contract-test", topic="city-app"),
    # a Kreis and a Verband named in a list keep their level (keys as the register has them:
    # Kreis 05766 Lippe; Gemeindeverband 071375007 Vallendar, a Verbandsgemeinde in Mayen-Koblenz)
    ParticipationRecord(
        "05766", "registered", "2024-05-07", "contract-test", topic="mobility", level="kreis"
    ),
    ParticipationRecord(
        "071375007",
        "attended",
        "2022-04-05",
        "contract-test",
        topic="energy",
        event_id="rk-03-2022-04-05",
        level="verband",
    ),
]

ULM = "08421000"
UNLOCATED = "07000999"  # Gemeinsames deutsch-luxemburgisches Hoheitsgebiet: no coordinates
BACKENDS = ["networkx", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(scope="module")
def contract_data(register: Register, programme: Programme, shared_data: Path) -> GraphData:
    """Register + programme + Gemeinde neighbours + the fixed participation list."""
    adjacency = shared_data / "derived" / "adjacency_gemeinden_vg5000_2021-01-01.csv"
    known = {m.ags for m in register.municipalities}
    with adjacency.open(encoding="utf-8", newline="") as fh:
        pairs = [
            (r["ags_a"], r["ags_b"], float(r["shared_border_km"]))
            for r in csv.DictReader(fh)
            if r["ags_a"] in known and r["ags_b"] in known
        ]
    assert len(pairs) > 25_000
    return GraphData(
        register=register,
        programme=programme,
        participation=list(PARTICIPATION),
        neighbours=pairs,
        neighbours_source=(str(adjacency), "2021-01-01"),
    )


@pytest.fixture(scope="module")
def nx_contract(contract_data: GraphData, tmp_path_factory: pytest.TempPathFactory) -> NetworkXStore:
    store = NetworkXStore(tmp_path_factory.mktemp("contract") / "graph.pickle")
    store.replace(contract_data)
    return store


@pytest.fixture(scope="module")
def neo_contract(neo4j_driver: Driver, contract_data: GraphData) -> Iterator[Neo4jStore]:
    store = Neo4jStore(neo4j_driver)
    store.wipe()
    store.replace(contract_data)
    yield store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> GraphStore:
    """Each loaded store in turn (the Neo4j one is marked ``neo4j``)."""
    name = "nx_contract" if request.param == "networkx" else "neo_contract"
    result: GraphStore = request.getfixturevalue(name)
    return result


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """An independent haversine (math module, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


# ---------------------------------------------------------------------------- per store


def test_is_a_graph_store(store: GraphStore) -> None:
    assert isinstance(store, GraphStore)
    assert store.backend in {"networkx", "neo4j"}


@pytest.mark.parametrize(
    ("method", "kind", "columns", "order"),
    [
        ("municipalities", NodeKind.MUNICIPALITY, S.MUNICIPALITY_COLUMNS, ["ags"]),
        ("districts", NodeKind.DISTRICT, S.DISTRICT_COLUMNS, ["key"]),
        ("states", NodeKind.STATE, S.STATE_COLUMNS, ["code"]),
        ("projects", NodeKind.PROJECT, S.PROJECT_COLUMNS, ["id"]),
        ("topics", NodeKind.TOPIC, S.TOPIC_COLUMNS, ["slug"]),
        ("events", NodeKind.EVENT, S.EVENT_COLUMNS, ["date_start", "id"]),
        ("programmes", NodeKind.PROGRAMME, S.PROGRAMME_COLUMNS, ["id"]),
    ],
)
def test_node_tables_equal_the_records(
    store: GraphStore,
    contract_data: GraphData,
    method: str,
    kind: NodeKind,
    columns: list[str],
    order: list[str],
) -> None:
    rows = [[n.props.get(c) for c in columns] for n in build_tables(contract_data).nodes_of(kind)]
    expected = pd.DataFrame(rows, columns=columns).sort_values(order, kind="mergesort").reset_index(drop=True)
    got = getattr(store, method)()
    assert list(got.columns) == columns
    pd.testing.assert_frame_equal(got, expected)


def test_register_figures(store: GraphStore) -> None:
    m = store.municipalities()
    assert len(m) == 11_004
    assert int(m["unincorporated"].sum()) == 210
    assert int(m["population"].sum()) == 83_166_711
    assert len(store.districts()) == 401
    assert len(store.states()) == 16


def test_municipalities_by_key(store: GraphStore) -> None:
    got = store.municipalities(["09775135", ULM, "99999999", ULM])
    assert got["ags"].tolist() == [ULM, "09775135"]
    assert got.loc[0, "name"] == "Ulm, Universitätsstadt"
    assert bool(got.loc[0, "funded"]) is True
    none = store.municipalities([])
    assert none.empty and list(none.columns) == S.MUNICIPALITY_COLUMNS


def test_territory_of_a_kreis_project_is_the_whole_kreis(store: GraphStore, register: Register) -> None:
    kreis = sorted(m.ags for m in register.municipalities if m.district_key == "09479")
    t = store.territories(["landkreis-wunsiedel"])
    assert len(kreis) > 10
    assert t["ags"].tolist() == kreis
    assert set(t["via"]) == {"Wunsiedel i.Fichtelgebirge"}
    # Mayen-Koblenz lists the Kreis and its Verbandsgemeinden: the more specific listing wins
    mayen = store.territories(["landkreis-mayen-koblenz"])
    assert mayen["ags"].tolist() == sorted(
        m.ags for m in register.municipalities if m.district_key == "07137"
    )
    assert "Vordereifel" in set(mayen["via"])


def test_members_and_programme_edges(store: GraphStore, programme: Programme) -> None:
    members = store.members()
    assert set(members["project_id"]) <= {p.id for p in programme.projects}
    assert set(members["kind"]) <= {"Municipality", "District"}
    pt = store.project_topics()
    assert len(pt) == len({(r.project_id, r.topic) for r in programme.project_topics})
    hosts = store.event_hosts()
    assert len(hosts) == len({(e.id, p) for e in programme.events for p in e.host_projects})
    assert len(store.relations()) == len(programme.relations)


def test_programme_participation_is_the_curated_file(store: GraphStore, programme: Programme) -> None:
    got = store.programme_participation()
    assert list(got.columns) == S.PROGRAMME_PARTICIPATION_COLUMNS
    expected = sorted(
        (r.programme_id, r.level, r.key, r.role, r.year, list(r.topics), r.source, r.confidence)
        for r in programme.programme_participation
    )
    rows = sorted(
        zip(got["programme_id"], got["level"], got["key"], got["role"], got["year"],
            [list(t) for t in got["topics"]], got["source"], got["confidence"], strict=True)
    )  # fmt: skip
    assert rows == expected
    assert len(got) == 106  # data/README.md: 104 merged evidence rows + 2 second-programme rows
    assert got["level"].value_counts().to_dict() == {"gemeinde": 64, "kreis": 37, "verband": 5}
    # sorted by (programme_id, level, key, role, year), as the protocol says
    order = got.sort_values(["programme_id", "level", "key", "role", "year"], kind="mergesort")
    assert order.index.tolist() == list(range(len(got)))
    # Landkreis Lörrach takes part in Smarte.Land.Regionen (a Kreis, not spread onto its Gemeinden)
    loe = got[(got["programme_id"] == "smarte-land-regionen") & (got["key"] == "08336")]
    assert loe["level"].tolist() == ["kreis"] and loe["name"].tolist() == ["Lörrach"]
    assert not (got["source"].str.lower() == "synthetic").any()
    progs = store.programmes()
    assert len(progs) == 21 and set(got["programme_id"]) <= set(progs["id"])
    assert progs.set_index("id").loc["smarte-land-regionen", "kind"] == "programme"
    # project status: the two ended projects, nothing else has a status
    p = store.projects().set_index("id")
    ended = p[p["status"] == "ended"]
    assert ended["end_date"].to_dict() == {"hagenow": "2025-09-19", "iserlohn": "2025-10-31"}
    assert set(p["status"]) == {"", "ended"}


def test_interests_and_attendances_are_the_participation(store: GraphStore) -> None:
    edges = [e for e in participation_edges(PARTICIPATION) if e.src_kind == NodeKind.MUNICIPALITY]
    interests = {(e.src, e.dst, edge_key(e.kind, e.props)) for e in edges if e.kind == "INTERESTED_IN"}
    got = store.interests()  # Gemeinden only
    assert len(got) == len(interests) == 8  # the repeated Blaubeuren row is one edge
    blaubeuren = store.interests(ags=["08425020"])
    assert blaubeuren["weight"].tolist() == [3.0]  # the last row wins, as on a load
    assert store.interests(topics=["buergerbeteiligung"])["ags"].tolist() == ["07111000", "08425072"]
    # a row naming a topic and an event is an interest and an attendance
    assert store.attendances()["ags"].tolist() == ["05766008", "07111000", "08425033", "08425072"]
    # the Kreis and Verband rows are edges of the District and Association nodes, at their level
    li = store.level_interests()
    assert list(li.columns) == S.LEVEL_INTEREST_COLUMNS
    assert li[["level", "key", "topic", "kind"]].values.tolist() == [
        ["kreis", "05766", "mobility", "registered"], ["verband", "071375007", "energy", "attended"]]  # fmt: skip
    la = store.level_attendances()
    assert la[["level", "key", "event_id"]].values.tolist() == [["verband", "071375007", "rk-03-2022-04-05"]]
    assert store.shortest_paths("Association:071375007", "Event:rk-03-2022-04-05", max_hops=1) == [
        ["Association:071375007", "Event:rk-03-2022-04-05"]]  # fmt: skip


def test_near_ulm_matches_an_independent_haversine(store: GraphStore, register: Register) -> None:
    ulm = next(m for m in register.municipalities if m.ags == ULM)
    assert ulm.lat is not None and ulm.lon is not None
    expected = {
        m.ags: _haversine(m.lat, m.lon, ulm.lat, ulm.lon)
        for m in register.municipalities
        if m.lat is not None and m.lon is not None
    }
    expected = {a: (0.0 if a == ULM else d) for a, d in expected.items() if d <= 20.0}
    got = store.near([ULM], 20.0)
    assert list(got.columns) == S.NEAR_COLUMNS
    assert set(got["ags"]) == set(expected)
    assert got.iloc[0].tolist() == [ULM, 0.0]
    for ags, d in zip(got["ags"], got["distance_km"], strict=True):
        assert abs(d - expected[ags]) < 1e-9
    assert got["distance_km"].is_monotonic_increasing


def test_near_edge_cases(store: GraphStore) -> None:
    assert store.near([UNLOCATED], 50.0).empty
    assert store.near(["99999999"], 50.0).empty
    assert store.near([ULM], 0.0)["ags"].tolist() == [ULM]


def test_shortest_paths(store: GraphStore) -> None:
    # Werdohl exchanges with Lübeck (Peer-Learning tie): one hop
    assert store.shortest_paths("Municipality:05962060", "Project:luebeck") == [
        ["Municipality:05962060", "Project:luebeck"]
    ]
    paths = store.shortest_paths("Municipality:09775135", "Project:ulm")
    assert paths and all(p[0] == "Municipality:09775135" and p[-1] == "Project:ulm" for p in paths)
    assert paths == sorted(paths) and len({len(p) for p in paths}) == 1
    assert store.shortest_paths("Municipality:09775135", "Project:ulm", max_hops=1) == []
    assert store.shortest_paths("Project:ulm", "Project:ulm") == [["Project:ulm"]]
    assert store.shortest_paths("Project:nope", "Project:ulm") == []
    assert store.shortest_paths("Nonsense", "Project:ulm") == []


def test_info(store: GraphStore, contract_data: GraphData) -> None:
    info = store.info()
    tables = build_tables(contract_data)
    assert info["backend"] == store.backend
    assert info["stichtag"] == "2020-12-31"
    assert info["nodes"]["Municipality"] == 11_004
    assert sum(info["nodes"].values()) == len({(n.kind, n.key) for n in tables.nodes})
    assert info["edges"]["INTERESTED_IN"] == 10  # 8 of Gemeinden, one of a Kreis, one of a Verband
    assert info["edges"]["PARTICIPATES_IN"] == 106
    assert info["nodes"]["Programme"] == 21
    assert info["nodes"]["Association"] == 6  # only the Verbände the evidence names (5 programme, 1 list)
    store.ping()


def test_every_event_detail_answers_200_with_its_participants(
    store: GraphStore, programme: Programme, tmp_path: Path
) -> None:
    """Issue 16: ``GET /events/{id}`` gave 500 for events without ``participants`` (a NaN)."""
    from fastapi.testclient import TestClient

    from lernnetz.api.main import create_app
    from lernnetz.graph.settings import Settings

    settings = Settings(LERNNETZ_DATA_DIR=str(tmp_path), LERNNETZ_API_TOKEN="t")
    missing = [e for e in programme.events if e.participants is None]
    assert missing and len(missing) < len(programme.events)  # both cases are in data/
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        for e in programme.events:
            r = client.get(f"/events/{e.id}")
            assert r.status_code == 200, (store.backend, e.id, r.text)
            got = r.json()["event"]
            assert (got["participants"], got["number"]) == (e.participants, e.number), e.id


# ---------------------------------------------------------------------------- across stores

_SOME_AGS = [ULM, "09775135", UNLOCATED, "05766008", "99999999"]
CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("municipalities", (), {}),
    ("municipalities", (_SOME_AGS,), {}),
    ("municipalities", ([UNLOCATED],), {}),
    ("municipalities", ([],), {}),
    ("districts", (), {}),
    ("states", (), {}),
    ("projects", (), {}),
    ("topics", (), {}),
    ("events", (), {}),
    ("territories", (), {}),
    ("territories", (["ulm", "eifelkreis-bitburg-pruem", "nope"],), {}),
    ("territories", ([],), {}),
    ("members", (), {}),
    ("members", (["landkreis-mayen-koblenz", "suederbrarup"],), {}),
    ("members", (["nope"],), {}),
    ("project_topics", (), {}),
    ("event_topics", (), {}),
    ("event_hosts", (), {}),
    ("interests", (), {}),
    ("interests", (), {"ags": ["08425020", "09775135"]}),
    ("interests", (), {"topics": ["mobility", "energy"]}),
    ("interests", (), {"ags": ["08425020"], "topics": ["mobility"]}),
    ("interests", (), {"ags": ["99999999"]}),
    ("attendances", (), {}),
    ("attendances", (), {"ags": ["07111000", "99999999"]}),
    ("attendances", (), {"ags": []}),
    ("relations", (), {}),
    ("level_interests", (), {}),
    ("level_attendances", (), {}),
    ("programmes", (), {}),
    ("programme_participation", (), {}),
    ("near", ([ULM], 20.0), {}),
    ("near", ([ULM], 75.0), {}),
    ("near", ([ULM, "05766044", "07137068"], 30.0), {}),
    ("near", ([UNLOCATED], 10.0), {}),
    ("near", ([], 10.0), {}),
]
PATHS = [
    ("Municipality:05962060", "Project:luebeck"),
    ("Municipality:08425020", "Municipality:08421000"),
    ("Municipality:08425020", "Project:ulm"),
    ("Municipality:01001000", "Project:ulm"),
    ("Municipality:09775135", "Project:ulm"),
    ("Municipality:08425020", "Municipality:07111000"),
    ("Topic:mobility", "Event:rk-01-2022-03-22"),
    ("District:07137", "Project:ulm"),
    ("State:08", "Project:ulm"),
    ("Project:lemgo-kalletal", "Project:landkreis-mayen-koblenz"),
    ("Project:ulm", "Project:ulm"),
    ("Municipality:99999999", "Project:ulm"),
    ("District:08336", "Programme:smarte-land-regionen"),
    ("District:08336", "Project:ulm"),
]


def _assert_same(a: Any, b: Any, what: str) -> None:
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), what
        if "distance_km" in a.columns:
            pd.testing.assert_frame_equal(a, b, check_exact=False, atol=0.01, rtol=0, obj=what)
            assert (a["distance_km"] - b["distance_km"]).abs().max(skipna=True) < 1e-9 or a.empty, what
        else:
            pd.testing.assert_frame_equal(a, b, obj=what)
    else:
        assert a == b, what


@pytest.mark.neo4j
@pytest.mark.parametrize(("method", "args", "kwargs"), CALLS, ids=lambda v: str(v)[:40])
def test_cross_store_tables(
    nx_contract: NetworkXStore,
    neo_contract: Neo4jStore,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    a = getattr(nx_contract, method)(*args, **kwargs)
    b = getattr(neo_contract, method)(*args, **kwargs)
    _assert_same(a, b, f"{method}{args}{kwargs}")


@pytest.mark.neo4j
def test_cross_store_near_for_a_whole_kreis(nx_contract: NetworkXStore, neo_contract: Neo4jStore) -> None:
    kreis = nx_contract.territories(["landkreis-mayen-koblenz"])["ags"].tolist()
    a, b = nx_contract.near(kreis, 40.0), neo_contract.near(kreis, 40.0)
    assert len(a) > len(kreis)
    _assert_same(a, b, "near(Mayen-Koblenz, 40)")


@pytest.mark.neo4j
@pytest.mark.parametrize(("source", "target"), PATHS)
@pytest.mark.parametrize("max_hops", [6, 2])
def test_cross_store_shortest_paths(
    nx_contract: NetworkXStore, neo_contract: Neo4jStore, source: str, target: str, max_hops: int
) -> None:
    for limit in (5, 50):
        a = nx_contract.shortest_paths(source, target, max_hops=max_hops, limit=limit)
        b = neo_contract.shortest_paths(source, target, max_hops=max_hops, limit=limit)
        assert a == b, (source, target, max_hops, limit)


@pytest.mark.neo4j
def test_cross_store_info(nx_contract: NetworkXStore, neo_contract: Neo4jStore) -> None:
    a, b = nx_contract.info(), neo_contract.info()
    assert a.pop("backend") == "networkx" and b.pop("backend") == "neo4j"
    assert a == b


def _assert_same_deep(a: Any, b: Any, what: str) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), what
        for k in a:
            _assert_same_deep(a[k], b[k], f"{what}.{k}")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        assert math.isnan(b), what
    else:
        _assert_same(a, b, what)


def test_derived_is_kept_for_the_store_state(store: GraphStore) -> None:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return object()

    first = memo(store, "contract-probe", build)
    assert memo(store, "contract-probe", build) is first
    assert calls == [1]


@pytest.mark.neo4j
def test_cross_store_lookups_from_indexes(nx_contract: NetworkXStore, neo_contract: Neo4jStore) -> None:
    """The lookups answered from per-state indexes (municipality, project, event, lists) agree."""
    from lernnetz.api import lookups
    from lernnetz.graph.analytics.basic import municipality_detail
    from lernnetz.graph.analytics.programme import event_detail, list_events, list_projects, project_detail

    for ags in (ULM, "08425020", "01001000", "07137068"):
        _assert_same_deep(municipality_detail(nx_contract, ags), municipality_detail(neo_contract, ags), ags)
    for pid in ("ulm", "landkreis-mayen-koblenz", "Smarte Region MYK10"):
        _assert_same_deep(project_detail(nx_contract, pid), project_detail(neo_contract, pid), pid)
    for eid in nx_contract.events()["id"]:
        _assert_same_deep(event_detail(nx_contract, eid), event_detail(neo_contract, eid), eid)
    for kw in ({}, {"round": 2020}, {"state": "BY"}, {"topic": "mobility"}):
        _assert_same(list_projects(nx_contract, **kw), list_projects(neo_contract, **kw), f"projects {kw}")
    for kw in ({}, {"year": 2022}, {"kind": "regionalkonferenz"}):
        _assert_same(list_events(nx_contract, **kw), list_events(neo_contract, **kw), f"events {kw}")
        _assert_same(
            lookups.events(nx_contract, **kw), lookups.events(neo_contract, **kw), f"api events {kw}"
        )
    _assert_same(lookups.topics(nx_contract), lookups.topics(neo_contract), "topics")


# ---------------------------------------------------------------------------- writes

NEW_ROWS = [
    ParticipationRecord("08425020", "survey", "2024-03-01", "contract-test", topic="mobility", weight=9.0),
    ParticipationRecord("08425020", "survey", "2025-01-15", "contract-test-2", topic="energy"),
    ParticipationRecord("08425020", "survey", "2025-01-15", "contract-test-2", topic="energy", weight=4.0),
    ParticipationRecord(
        "01001000", "attended", "2022-03-22", "contract-test-2", topic="mobility", event_id="rk-01-2022-03-22"
    ),
]


#: Removes what the write test added (every new edge has source "contract-test-2").
_UNDO_WRITES = """
MATCH (:Municipality)-[r:INTERESTED_IN|ATTENDED]->() WHERE r.source = 'contract-test-2' DELETE r
WITH count(*) AS n MATCH (g:LernnetzGraph) SET g.rev = g.rev + 1
"""


@pytest.fixture
def restore(
    nx_contract: NetworkXStore, neo_contract: Neo4jStore, contract_data: GraphData, neo4j_driver: Driver
) -> Iterator[None]:
    """Tests that write get the module's stores; afterwards the contract data is put back
    (NetworkX: reloaded; Neo4j: the new edges deleted, which is much faster than a reload)."""
    before = neo_contract.interests(), neo_contract.attendances()
    yield
    nx_contract.replace(contract_data)
    neo4j_driver.execute_query(_UNDO_WRITES, database_=neo_contract.database)
    pd.testing.assert_frame_equal(neo_contract.interests(), before[0])
    pd.testing.assert_frame_equal(neo_contract.attendances(), before[1])


@pytest.mark.neo4j
@pytest.mark.usefixtures("restore")
def test_add_participation_same_on_both_stores(nx_contract: NetworkXStore, neo_contract: Neo4jStore) -> None:
    for store in (nx_contract, neo_contract):
        before = store.interests()
        # unknown keys: an error naming the first one, nothing written
        bad = [*NEW_ROWS, ParticipationRecord("99999999", "survey", "2024-01-01", "x", topic="mobility")]
        with pytest.raises(InvalidArgument, match="Municipality '99999999'"):
            store.add_participation(bad)
        with pytest.raises(InvalidArgument, match="Topic 'no-such-topic'"):
            store.add_participation(
                [ParticipationRecord(ULM, "survey", "2024-01-01", "x", topic="no-such-topic")]
            )
        with pytest.raises(InvalidArgument, match="Event 'no-such-event'"):
            store.add_participation(
                [ParticipationRecord(ULM, "attended", "2024-01-01", "x", event_id="no-such-event")]
            )
        pd.testing.assert_frame_equal(store.interests(), before)
        from lernnetz.graph.analytics.basic import municipality_detail

        index_before = memo(store, "contract-probe-write", object)
        detail_before = municipality_detail(store, "08425020")["interests"]
        # the first row exists already (kept as it is); the next two are one new edge; the last two new
        assert store.add_participation(NEW_ROWS) == 3, store.backend
        # indexes of the old state are gone: the lookups see the write at once
        assert memo(store, "contract-probe-write", object) is not index_before, store.backend
        detail_after = municipality_detail(store, "08425020")["interests"]
        assert len(detail_after) == len(detail_before) + 1, store.backend
        assert store.add_participation(NEW_ROWS) == 0, store.backend
        assert store.add_participation([]) == 0
    for method in ("interests", "attendances"):
        _assert_same(getattr(nx_contract, method)(), getattr(neo_contract, method)(), method)
    got = neo_contract.interests(ags=["08425020"])
    assert got[["topic", "weight"]].values.tolist() == [["energy", 4.0], ["mobility", 3.0]]
    _assert_same(nx_contract.info()["edges"], neo_contract.info()["edges"], "edge counts")
    _assert_same(
        nx_contract.shortest_paths("Municipality:01001000", "Event:rk-01-2022-03-22"),
        neo_contract.shortest_paths("Municipality:01001000", "Event:rk-01-2022-03-22"),
        "path over a new edge",
    )


@pytest.mark.neo4j
@pytest.mark.usefixtures("restore")
def test_neo4j_read_after_a_write_sees_the_write(
    neo_contract: Neo4jStore, neo4j_driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Causal consistency: the import's session and every read session of the store share the
    driver's ``execute_query`` bookmark manager, so a read right after a write of this process
    (on any server of a cluster) sees the new (generation, revision), never the old one."""
    manager = neo4j_driver.execute_query_bookmark_manager
    opened: list[Any] = []
    real_session = neo4j_driver.session

    def session(**config: Any) -> Any:
        opened.append(config.get("bookmark_manager"))
        return real_session(**config)

    monkeypatch.setattr(neo4j_driver, "session", session)
    gen, rev, _ = neo_contract._state()
    seen = neo_contract.attendances(["01001000"])  # now cached for the old state
    assert "rk-01-2022-03-22" not in seen["event_id"].tolist()
    marks = set(manager.get_bookmarks())
    assert neo_contract.add_participation([NEW_ROWS[3]]) >= 1
    assert set(manager.get_bookmarks()) != marks  # the write's bookmark: what the next read waits for
    for store in (neo_contract, Neo4jStore(neo4j_driver)):  # the writer (cached state) and a fresh one
        assert store._state()[:2] == (gen, rev + 1)
        assert "rk-01-2022-03-22" in store.attendances(["01001000"])["event_id"].tolist()
        assert "rk-01-2022-03-22" in store.attendances()["event_id"].tolist()
    assert len(opened) >= 5 and all(m is manager for m in opened)


#: Ties an import adds (``lernnetz import ties``): project → Gemeinde and Gemeinde → Gemeinde.
NEW_TIES = [
    RelationRecord("ROLE_MODEL_FOR", "project", "ulm", "municipality", "08425020", "contract-test-ties", "S",
                   "date 2022-04-05", "2022-04-05"),
    RelationRecord("TRANSFERS_TO", "municipality", "01001000", "municipality", ULM, "contract-test-ties", "S"),
]  # fmt: skip
_UNDO_TIES = """
MATCH ()-[r:ROLE_MODEL_FOR|TRANSFERS_TO]->() WHERE r.source = 'contract-test-ties' DELETE r
WITH count(*) AS n MATCH (g:LernnetzGraph) SET g.rev = g.rev + 1
"""


@pytest.mark.neo4j
def test_add_ties_same_on_both_stores(
    nx_contract: NetworkXStore, neo_contract: Neo4jStore, contract_data: GraphData, neo4j_driver: Driver
) -> None:
    before = neo_contract.relations()
    try:
        for store in (nx_contract, neo_contract):
            with pytest.raises(InvalidArgument, match="Project 'no-such-project'"):
                store.add_ties([NEW_TIES[0], RelationRecord("EXCHANGES_WITH", "project", "no-such-project",
                                                            "municipality", ULM, "contract-test-ties", "S")])  # fmt: skip
            assert store.add_ties(NEW_TIES) == 2, store.backend
            assert store.add_ties(NEW_TIES) == 0, store.backend  # idempotent
            assert store.add_ties([]) == 0
        _assert_same(nx_contract.relations(), neo_contract.relations(), "relations")
        got = neo_contract.relations()
        assert len(got) == len(before) + 2
        assert {("ROLE_MODEL_FOR", "ulm", "08425020"), ("TRANSFERS_TO", "01001000", ULM)} <= set(
            zip(got["type"], got["from_key"], got["to_key"], strict=True)
        )
        _assert_same(nx_contract.info()["edges"], neo_contract.info()["edges"], "edge counts")
    finally:
        nx_contract.replace(contract_data)
        neo4j_driver.execute_query(_UNDO_TIES, database_=neo_contract.database)
    pd.testing.assert_frame_equal(neo_contract.relations(), before)


@pytest.mark.neo4j
def test_import_ties_and_participation_same_on_both_stores(
    nx_contract: NetworkXStore,
    neo_contract: Neo4jStore,
    contract_data: GraphData,
    neo4j_driver: Driver,
    tmp_path: Path,
) -> None:
    from lernnetz.graph.participation import import_participation
    from lernnetz.graph.settings import Settings
    from lernnetz.graph.ties import import_ties

    ties = tmp_path / "ties.csv"
    ties.write_text("Typ;Von;Nach;Quelle\nVorbild;ulm;Laichingen (Stadt);contract-test-ties\n"
                    "Übertragung;Blaustein;ILLERTISSEN (STADT);contract-test-ties\n", encoding="cp1252")  # fmt: skip
    plist = tmp_path / "list.csv"
    plist.write_text("Kommune;Themen;Datum;Quelle\nLaichingen (Stadt);Mobilität | Quanten;05.04.2022;contract-test-2\n",
                     encoding="utf-8")  # fmt: skip
    reports = []
    try:
        for store in (nx_contract, neo_contract):
            settings = Settings(LERNNETZ_DATA_DIR=tmp_path / store.backend)
            t = import_ties(store, settings, ties)
            p = import_participation(store, settings, plist)
            reports.append(
                (t.ties_new, t.edges_new, t.rows_rejected, p.rows_imported, p.values_skipped, p.records)
            )
        assert reports[0] == reports[1] == (2, 2, 0, 1, 1, 1), reports
        _assert_same(nx_contract.relations(), neo_contract.relations(), "relations after import ties")
        _assert_same(nx_contract.interests(), neo_contract.interests(), "interests after import")
    finally:
        nx_contract.replace(contract_data)
        neo4j_driver.execute_query(_UNDO_TIES, database_=neo_contract.database)
        neo4j_driver.execute_query(_UNDO_WRITES, database_=neo_contract.database)


#: Participation at Kreis and Verband level and a Kreis ↔ project tie an import adds; the Verband
#: (Gemeindeverband 010595974 Süderbrarup, an Amt in Schleswig-Flensburg) is no node before.
LEVEL_ROWS = [
    ParticipationRecord("05766", "survey", "2025-02-01", "contract-test-levels", topic="buergerbeteiligung",
                        level="kreis"),
    ParticipationRecord("010595974", "registered", "2025-02-01", "contract-test-levels", topic="mobility",
                        event_id="rk-03-2022-04-05", level="verband"),
]  # fmt: skip
LEVEL_TIES = [
    RelationRecord("EXCHANGES_WITH", "district", "05766", "project", "ulm", "contract-test-levels", "S"),
    RelationRecord(
        "ROLE_MODEL_FOR", "project", "ulm", "association", "010595974", "contract-test-levels", "S"
    ),
]
_UNDO_LEVELS = """
MATCH ()-[r]->() WHERE r.source = 'contract-test-levels' DELETE r
WITH count(*) AS n MATCH (a:Association {key: '010595974'}) DETACH DELETE a
WITH count(*) AS n MATCH (g:LernnetzGraph) SET g.rev = g.rev + 1
"""


@pytest.mark.neo4j
def test_kreis_and_verband_participation_and_ties_same_on_both_stores(
    nx_contract: NetworkXStore, neo_contract: Neo4jStore, contract_data: GraphData, neo4j_driver: Driver
) -> None:
    from lernnetz.graph.analytics import connections
    from lernnetz.graph.analytics.interests import interest_rows

    try:
        for store in (nx_contract, neo_contract):
            associations = store.info()["nodes"]["Association"]
            with pytest.raises(InvalidArgument, match="Association '999999999'"):
                store.add_participation([ParticipationRecord("999999999", "survey", "2025-02-01", "x",
                                                             topic="mobility", level="verband")])  # fmt: skip
            assert store.info()["nodes"]["Association"] == associations, store.backend  # nothing half-made
            assert store.add_participation(LEVEL_ROWS) == 3, store.backend  # 2 interests, 1 attendance
            assert store.add_participation(LEVEL_ROWS) == 0, store.backend
            assert store.add_ties(LEVEL_TIES) == 2, store.backend
            assert store.add_ties(LEVEL_TIES) == 0, store.backend
            assert store.info()["nodes"]["Association"] == associations + 1, store.backend  # made once
        for method in ("interests", "attendances", "level_interests", "level_attendances", "relations"):
            _assert_same(getattr(nx_contract, method)(), getattr(neo_contract, method)(), method)
        _assert_same(nx_contract.info()["nodes"], neo_contract.info()["nodes"], "node counts")
        _assert_same(nx_contract.info()["edges"], neo_contract.info()["edges"], "edge counts")
        rows = interest_rows(neo_contract, level="verband")
        _assert_same(interest_rows(nx_contract, level="verband"), rows, "interest rows")
        assert ("010595974", "Süderbrarup", "mobility") in set(
            zip(rows["key"], rows["name"], rows["topic"], strict=True)
        )
        rel = neo_contract.relations()
        assert ("EXCHANGES_WITH", "district", "05766", "project", "ulm") in set(
            zip(rel["type"], rel["from_kind"], rel["from_key"], rel["to_kind"], rel["to_key"], strict=True))  # fmt: skip
        for a, b in (("Kreis Lippe", "ulm"), ("ulm", "Amt Süderbrarup"), ("071375007", "Kreis Lippe")):
            ca, cb = connections(nx_contract, a, b), connections(neo_contract, a, b)
            assert (ca.a, ca.b) == (cb.a, cb.b)
            for part in ("shared_topics", "shared_events", "ties"):
                _assert_same(getattr(ca, part), getattr(cb, part), f"connections {a} {b} {part}")
            assert ca.paths == cb.paths, (a, b)
        lippe = connections(neo_contract, "Kreis Lippe", "ulm")
        assert lippe.ties["type"].tolist() == ["EXCHANGES_WITH"]
        assert {"mobility", "buergerbeteiligung"} <= set(lippe.shared_topics["topic"])
        amt = connections(neo_contract, "ulm", "Amt Süderbrarup")
        assert amt.ties["type"].tolist() == ["ROLE_MODEL_FOR"] and amt.b["kind"] == "association"
        assert amt.shared_events["event_id"].tolist() == [
            "rk-03-2022-04-05"
        ]  # ulm hosted, the Amt registered
    finally:
        nx_contract.replace(contract_data)
        neo4j_driver.execute_query(_UNDO_LEVELS, database_=neo_contract.database)
    _assert_same(nx_contract.level_interests(), neo_contract.level_interests(), "level interests restored")


@pytest.mark.neo4j
def test_cross_store_analytics_on_the_programme_layer(
    nx_contract: NetworkXStore, neo_contract: Neo4jStore
) -> None:
    """Kreis/Verband candidates, other-programme evidence and funded_means answer the same on both stores."""
    from lernnetz.graph import analytics as Q

    for kwargs in (
        {"region": "Ulm", "radius_km": 60.0, "projects": "all"},
        {"region": "kaiserslautern", "radius_km": 30.0, "topics": ["mobility"]},
        {"region": "Neubrandenburg", "radius_km": 20.0, "funded_means": "member"},
    ):
        a, b = Q.matches(nx_contract, **kwargs), Q.matches(neo_contract, **kwargs)  # type: ignore[arg-type]
        assert (not a.empty and (a["level"] != "gemeinde").any()) or kwargs["region"] == "Neubrandenburg"
        pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-9, obj=str(kwargs))
    a, b = (
        Q.white_spots(nx_contract, "smart-region-rural", 50),
        Q.white_spots(neo_contract, "smart-region-rural", 50),
    )
    pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-9)
    pa, pb = Q.plan_events(nx_contract, "mobility", 3, 50), Q.plan_events(neo_contract, "mobility", 3, 50)
    pd.testing.assert_frame_equal(pa.coverage, pb.coverage, check_exact=False, atol=1e-9)


# ---------------------------------------------------------------------------- analytics on both stores

#: A synthetic participation on top of the contract list, dense enough for groups around Ulm
#: and Mayen-Koblenz (the analytics read only the protocol's tables, so both stores must agree).
_ANALYTICS = [
    ("learning_networks", ("08421000",), {"radius_km": 40.0, "min_size": 1}),
    ("learning_networks", ("07137",), {"radius_km": 40.0, "max_size": 3, "min_size": 2}),
    ("learning_networks", ("Lemgo",), {"radius_km": 30.0, "min_evidence": "registered", "min_size": 1}),
    ("recommend", ("Neu-Ulm",), {}),
    ("recommend", ("08425020",), {"nearby": 5, "reach_km": 80.0, "min_evidence": "survey"}),
    ("white_spots", ("akteursnetzwerke", 30.0), {"region": "08421000"}),
    ("white_spots", ("city-app", 15.0), {"region": "Sachsen", "min_evidence": "attended"}),
    ("plan_events", ("mobility", 2, 60.0), {"region": "08421000"}),
    ("matches", ("08421000", 40.0), {"min_evidence": "registered"}),
    # the programme layer under the merged options: Kreis/Verband rows filtered by region, evidence
    # kinds by min_evidence (survey drops the other-programme evidence), funded_means with both
    ("matches", ("kaiserslautern", 40.0), {"min_evidence": "programme", "funded_means": "member"}),
    ("white_spots", ("smart-region-rural", 50.0), {"region": "05766"}),  # Kreis Lippe, Kreis Soest …
    ("plan_events", ("mobility", 3, 50.0), {"region": "kaiserslautern", "min_evidence": "programme"}),
    ("learning_networks", ("kaiserslautern",), {"radius_km": 40.0}),
]


@pytest.mark.neo4j
@pytest.mark.parametrize(("name", "args", "kwargs"), _ANALYTICS, ids=lambda v: str(v)[:30])
def test_cross_store_analytics(
    nx_contract: NetworkXStore,
    neo_contract: Neo4jStore,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    from lernnetz.graph import analytics as Q

    a = getattr(Q, name)(nx_contract, *args, **kwargs)
    b = getattr(Q, name)(neo_contract, *args, **kwargs)
    main = a if isinstance(a, pd.DataFrame) else getattr(a, "hosts", None)
    if main is None:
        main = pd.concat([a.groups[["hub_project"]], a.unassigned[["ags"]]])
    assert not main.empty, "a comparison of empty answers proves little"
    if isinstance(a, pd.DataFrame):
        _assert_same(a, b, name)
        return
    for part in ("groups", "members", "unassigned", "hosts", "coverage", "uncovered"):
        if hasattr(a, part):
            _assert_same(getattr(a, part), getattr(b, part), f"{name}.{part}")
    assert a.params == b.params
    if name == "learning_networks":
        assert a.stability == b.stability
