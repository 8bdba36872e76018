"""Property tests (hypothesis) for the analytics on the real register and programme."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lernnetz.graph import analytics as Q
from lernnetz.graph.model import GraphData
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.records import ParticipationRecord, Programme, Register
from tests.analytics_helpers import Reference, ShuffledStore, build_store

PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _regions(register: Register, programme: Programme) -> list[str]:
    """A fixed spread of regions: Gemeinden every ~150th, some Kreise, every project."""
    munis = [m.ags for m in register.municipalities if not m.is_unincorporated and m.lat is not None]
    kreise = sorted({m.district_key for m in register.municipalities if m.district_key})
    return munis[::150] + kreise[::40] + sorted(p.id for p in programme.projects)


@pytest.fixture(scope="module")
def regions(register: Register, programme: Programme) -> list[str]:
    return _regions(register, programme)


@pytest.fixture(scope="module")
def topic_slugs(programme: Programme) -> list[str]:
    return sorted(t.slug for t in programme.topics)


def query_strategy(
    regions: list[str], topics: list[str]
) -> st.SearchStrategy[tuple[str, float, float, list[str] | None, str]]:
    return st.tuples(
        st.sampled_from(regions),
        st.floats(min_value=1.0, max_value=120.0, allow_nan=False),
        st.floats(min_value=1.0, max_value=120.0, allow_nan=False),
        st.one_of(st.none(), st.lists(st.sampled_from(topics), min_size=1, max_size=3, unique=True)),
        st.sampled_from(["near", "all"]),
    )


@given(data=st.data())
@PROPS
def test_results_grow_monotonically_with_the_radius(
    data: st.DataObject, store: NetworkXStore, regions: list[str], topic_slugs: list[str]
) -> None:
    region, r1, r2, topics, projects = data.draw(query_strategy(regions, topic_slugs))
    small, large = sorted((r1, r2))
    a = Q.matches(store, region, small, topics=topics, projects=projects)  # type: ignore[arg-type]
    b = Q.matches(store, region, large, topics=topics, projects=projects)  # type: ignore[arg-type]
    assert set(a["ags"]) <= set(b["ags"])
    shared_b = dict(zip(b["ags"], b["shared_topics"], strict=True))
    for ags, shared in zip(a["ags"], a["shared_topics"], strict=True):
        assert set(shared) <= set(shared_b[ags])


@given(data=st.data())
@PROPS
def test_no_funded_municipality_and_every_row_shares_a_topic_with_a_listed_project(
    data: st.DataObject, store: NetworkXStore, ref: Reference, regions: list[str], topic_slugs: list[str]
) -> None:
    region, radius, _, topics, projects = data.draw(query_strategy(regions, topic_slugs))
    df = Q.matches(store, region, radius, topics=topics, projects=projects)  # type: ignore[arg-type]
    assert not set(df["ags"]) & ref.funded  # funded status recomputed from the programme records
    place_topics = ref.place_topics()
    for r in df.to_dict(orient="records"):
        assert r["distance_km"] <= radius + 1e-9
        own = ref.topics_of[r["ags"]] if r["level"] == "gemeinde" else place_topics[r["ags"]]
        assert r["shared_topics"] and set(r["shared_topics"]) <= own
        if topics is not None:
            assert set(r["shared_topics"]) <= set(topics)
        assert r["projects"]
        assert any(set(p["shared_topics"]) & ref.project_topics.get(p["id"], set()) for p in r["projects"])
        for p in r["projects"]:
            assert set(p["shared_topics"]) <= ref.project_topics[p["id"]] & set(r["shared_topics"])
        evid = {e["topic"] for e in r["evidence"]}
        assert evid == set(r["shared_topics"])


@given(region=st.integers(min_value=0, max_value=10_000), seed=st.integers(min_value=0, max_value=2**31))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_results_do_not_depend_on_row_order(
    region: int, seed: int, store: NetworkXStore, regions: list[str], topic_slugs: list[str]
) -> None:
    """Every table the store returns comes back shuffled: the answers stay the same."""
    name = regions[region % len(regions)]
    topic = topic_slugs[seed % len(topic_slugs)]
    shuffled = ShuffledStore(store, seed)
    try:
        pd.testing.assert_frame_equal(Q.matches(store, name, 45), Q.matches(shuffled, name, 45))  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(
            Q.white_spots(store, topic, 30),
            Q.white_spots(shuffled, topic, 30),  # type: ignore[arg-type]
        )
        a = Q.learning_networks(store, name, None, 40, max_size=6, seed=seed % 1000)
        b = Q.learning_networks(shuffled, name, None, 40, max_size=6, seed=seed % 1000)  # type: ignore[arg-type]
        for x, y in ((a.groups, b.groups), (a.members, b.members), (a.unassigned, b.unassigned)):
            pd.testing.assert_frame_equal(x, y)
        assert a.stability == b.stability
    finally:
        Q.clear_cache(shuffled)  # type: ignore[arg-type]


def test_shuffled_participation_records_build_the_same_answers(
    store_and_records: tuple[NetworkXStore, list[ParticipationRecord]],
    graph_data: GraphData,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The same participation loaded in another order into a new store gives identical results."""
    store, records = store_and_records
    shuffled = list(records)
    random.Random(5).shuffle(shuffled)
    other = build_store(graph_data, shuffled, tmp_path_factory.mktemp("shuffled") / "graph.pickle")
    for region, radius in (("08421000", 40.0), ("07137", 25.0), ("14612000", 30.0)):
        pd.testing.assert_frame_equal(Q.matches(store, region, radius), Q.matches(other, region, radius))
        a = Q.learning_networks(store, region, None, radius)
        b = Q.learning_networks(other, region, None, radius)
        pd.testing.assert_frame_equal(a.groups, b.groups)
        pd.testing.assert_frame_equal(a.unassigned, b.unassigned)
    pd.testing.assert_frame_equal(
        Q.plan_events(store, "mobility", 3, 40).hosts, Q.plan_events(other, "mobility", 3, 40).hosts
    )
    pd.testing.assert_frame_equal(Q.recommend(store, "08425141"), Q.recommend(other, "08425141"))


@given(
    radius=st.floats(min_value=5.0, max_value=150.0, allow_nan=False),
    k=st.integers(min_value=1, max_value=6),
    topic_index=st.integers(min_value=0, max_value=100),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_plan_events_covers_each_interested_municipality_once(
    radius: float, k: int, topic_index: int, store: NetworkXStore, ref: Reference, topic_slugs: list[str]
) -> None:
    topic = topic_slugs[topic_index % len(topic_slugs)]
    plan = Q.plan_events(store, topic, k, radius)
    interested = {a for a, ts in ref.topics_of.items() if topic in ts and a not in ref.funded}
    interested |= {key for key, ts in ref.place_topics().items() if topic in ts and not ref.place_funded(key)}
    assert len(plan.hosts) <= k
    assert not set(plan.coverage["ags"]) & set(plan.uncovered["ags"])
    assert set(plan.coverage["ags"]) | set(plan.uncovered["ags"]) == interested
    assert int(plan.hosts["newly_covered"].sum()) == len(plan.coverage)
    assert (plan.coverage["distance_km"] <= radius + 1e-9).all()
