"""The embedded store's warm cache beside the snapshot (tables, indexes, the analytics context).

A process that finds a warm cache belonging to the very snapshot file answers from it without
reading the graph, and its answers equal those of a store that read the snapshot; a cache of
another snapshot (a later load or import, in this process or another) is never used, and a
store that opened a warm cache and then finds the snapshot replaced takes the new one whole.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from lernnetz.graph import analytics as queries
from lernnetz.graph.analytics.basic import municipality_detail, near_region
from lernnetz.graph.analytics.context import prepare
from lernnetz.graph.analytics.programme import event_detail, list_projects, project_detail
from lernnetz.graph.model import GraphData
from lernnetz.graph.regions import resolve_region
from lernnetz.graph.store.nx_snapshot import _WARM_TABLES, WARM_SUFFIX, Packed
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.records import ParticipationRecord

ULM = "08421000"


@pytest.fixture(scope="module")
def base_snapshot(graph_data: GraphData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lernnetz.graph.synthetic import synthetic_participation

    path = tmp_path_factory.mktemp("warm") / "graph.pickle"
    plain = NetworkXStore(None)
    plain.replace(graph_data)
    store = NetworkXStore(path)
    store.replace(
        GraphData(
            register=graph_data.register,
            programme=graph_data.programme,
            participation=list(synthetic_participation(plain, n=2000, seed=3)),
        )
    )
    return path


@pytest.fixture
def snapshot(base_snapshot: Path, tmp_path: Path) -> Path:
    """A private copy of the snapshot (no warm cache yet)."""
    path = tmp_path / "graph.pickle"
    shutil.copy2(base_snapshot, path)
    return path


def warm_path(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name + WARM_SUFFIX)


def answers(store: NetworkXStore) -> dict[str, object]:
    return {
        "info": store.info(),
        **{name: getattr(store, name)() for name in _WARM_TABLES},
        "detail": municipality_detail(store, ULM),
        "near": near_region(store, "Ulm", 25),
        "matches": queries.matches(store, "Ulm", 40),
        "recommend": queries.recommend(store, "08425141", 5),
        "white": queries.white_spots(store, "mobility", 30),
        "region": resolve_region(store, "Alb-Donau-Kreis"),
        "projects": list_projects(store, topic="mobility"),
        "project": project_detail(store, "ulm"),
        "event": event_detail(store, str(store.events()["id"].iloc[0])),
    }


def assert_same(a: object, b: object, where: str = "") -> None:
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), where
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


def test_a_warm_store_answers_without_reading_the_graph(snapshot: Path) -> None:
    cold = NetworkXStore(snapshot)
    expected = answers(cold)
    prepare(cold)  # builds context + region index, writes the warm cache
    assert warm_path(snapshot).exists()

    warm = NetworkXStore(snapshot)
    assert warm.G is None and warm.loaded  # opened from the warm cache
    got = answers(warm)
    assert warm.G is None  # none of these questions needed the graph itself
    assert_same(expected, got)
    # a question that needs the graph reads it on demand, same answer
    assert warm.shortest_paths("Project:ulm", f"Municipality:{ULM}") == cold.shortest_paths(
        "Project:ulm", f"Municipality:{ULM}"
    )
    assert warm.G is not None


def test_a_warm_store_unpickles_a_derived_entry_only_when_asked(snapshot: Path) -> None:
    """A lookup that needs no analytics context leaves the context packed; the first analytic
    unpacks it once, with the answer of a store that built it itself."""
    cold = NetworkXStore(snapshot)
    expected = queries.matches(cold, "Ulm", 40)
    prepare(cold)
    warm = NetworkXStore(snapshot)
    packed = [k for k, v in warm._derived.items() if isinstance(v, Packed)]
    assert any(k.startswith("derived:analytics_context:") for k in packed)
    municipality_detail(warm, ULM)  # needs the region index and the detail index only
    key = next(k for k in packed if k.startswith("derived:analytics_context:"))
    assert isinstance(warm._derived[key], Packed)
    pd.testing.assert_frame_equal(queries.matches(warm, "Ulm", 40), expected)
    assert not isinstance(warm._derived[key], Packed)
    # written again by a warm store, a still-packed entry stays the same bytes
    assert warm.persist_warm() in (True, False)
    assert_same(answers(NetworkXStore(snapshot)), answers(cold))


def test_a_warm_cache_of_another_snapshot_is_ignored(snapshot: Path, graph_data: GraphData) -> None:
    prepare(NetworkXStore(snapshot))
    stale = warm_path(snapshot).read_bytes()
    # another load replaces the snapshot (no participation now); the old warm file is put back
    NetworkXStore(snapshot).replace(graph_data)
    warm_path(snapshot).write_bytes(stale)
    fresh = NetworkXStore(snapshot)
    assert fresh.G is not None  # read the snapshot, not the stale cache
    assert fresh.info()["edges"]["INTERESTED_IN"] == 0
    assert municipality_detail(fresh, ULM)["interests"].empty


def test_a_damaged_warm_cache_is_ignored(snapshot: Path) -> None:
    prepare(NetworkXStore(snapshot))
    warm_path(snapshot).write_bytes(b"not a pickle")
    store = NetworkXStore(snapshot)
    assert store.G is not None
    assert municipality_detail(store, ULM)["ags"] == ULM


def test_writes_invalidate_indexes_and_the_cache(snapshot: Path) -> None:
    prepare(NetworkXStore(snapshot))
    warm = NetworkXStore(snapshot)
    assert warm.G is None
    before = municipality_detail(warm, "08425141")["interests"]
    record = ParticipationRecord(
        ags="08425141", kind="survey", date="2024-05-01", source="test-warm", topic="mobility"
    )
    assert warm.add_participation([record]) == 1  # reads the graph, writes a new snapshot
    after = municipality_detail(warm, "08425141")["interests"]
    assert len(after) == len(before) + 1 and "test-warm" in set(after["source"])
    # the old warm cache belongs to the old snapshot: a new process does not take it
    other = NetworkXStore(snapshot)
    assert other.G is not None
    assert_same(municipality_detail(other, "08425141"), municipality_detail(warm, "08425141"))
    # persisting again writes a cache for the new snapshot, which the next process takes
    assert warm.persist_warm()
    again = NetworkXStore(snapshot)
    assert again.G is None
    assert_same(municipality_detail(again, "08425141"), municipality_detail(warm, "08425141"))
    assert_same(queries.matches(again, "08425141", 30), queries.matches(warm, "08425141", 30))


def test_a_lazy_store_takes_a_replaced_snapshot_whole(snapshot: Path) -> None:
    prepare(NetworkXStore(snapshot))
    reader = NetworkXStore(snapshot)  # warm, graph not read
    assert reader.G is None
    writer = NetworkXStore(snapshot)
    record = ParticipationRecord(
        ags=ULM, kind="registered", date="2024-06-01", source="test-other-process", topic="energy"
    )
    assert writer.add_participation([record]) == 1
    # the reader now needs the graph: the snapshot is another one, so it takes that one whole
    reader.shortest_paths("Project:ulm", f"Municipality:{ULM}")
    assert reader.info() == writer.info()
    assert_same(municipality_detail(reader, ULM), municipality_detail(writer, ULM))


def test_a_store_never_labels_its_old_state_with_a_newer_snapshot(snapshot: Path) -> None:
    """A CLI command persists its warm cache at exit, after its write lock is gone: a load that
    finished before an import must not write its tables as the cache of the import's snapshot
    (readers would then miss the imported rows; seen as a flaky test_writers under load)."""
    loader = NetworkXStore(snapshot)  # no warm cache yet: it reads the graph itself
    assert loader.G is not None
    before = len(loader.interests())
    importer = NetworkXStore(snapshot)
    record = ParticipationRecord(
        ags=ULM, kind="registered", date="2024-06-02", source="test-after-the-load", topic="energy"
    )
    assert importer.add_participation([record]) == 1  # a newer snapshot
    assert not loader.persist_warm()  # its state is not the newer snapshot's
    fresh = NetworkXStore(snapshot)
    assert "test-after-the-load" in set(fresh.interests()["source"])
    assert len(fresh.interests()) == before + 1


def test_threads_reading_the_graph_on_demand_all_get_it(snapshot: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    prepare(NetworkXStore(snapshot))
    warm = NetworkXStore(snapshot)
    assert warm.G is None
    expected = NetworkXStore(snapshot).shortest_paths("Project:ulm", f"Municipality:{ULM}")
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: warm.shortest_paths("Project:ulm", f"Municipality:{ULM}"), range(16)))
    assert got == [expected] * 16


def test_the_context_build_pauses_the_collector_and_freezes_no_cycles(graph_data: GraphData) -> None:
    """The context is built with the cyclic collector off and then frozen out of its view
    (see ``context._collector_paused``): the collector is on again afterwards, the context
    holds no reference cycles (frozen, it would otherwise never be freed), and dropping the
    store hands the frozen objects back to the collector."""
    import gc
    import weakref

    from lernnetz.graph.analytics.context import _context
    from lernnetz.graph.analytics.context_build import build_context

    gc.unfreeze()
    store = NetworkXStore(None)
    store.replace(graph_data)
    queries.matches(store, "Ulm", 30.0)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    # no cycles in a context: dropped, it goes by reference counting alone
    stamp = _context(store).stamp
    gc.disable()
    try:
        ctx = build_context(store, stamp, "")
        gc.collect()  # the build's own temporaries
        del ctx
        assert gc.collect() == 0
    finally:
        gc.enable()
    ref = weakref.ref(store)
    del store
    assert ref() is None
    assert gc.get_freeze_count() == 0
    # a caller that has the collector off manages it itself: nothing frozen
    gc.disable()
    try:
        other = NetworkXStore(None)
        other.replace(graph_data)
        queries.matches(other, "Ulm", 30.0)
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_what_questions_keep_in_the_context_is_read_only_and_not_pickled(graph_data: GraphData) -> None:
    """``_near`` keeps each (region, radius) area and ``row`` each Gemeinde's fixed values in the
    context: a repeated question answers the same, the kept arrays cannot be changed by a caller,
    an answer's rows are its own, and the warm cache's pickle leaves both out."""
    import pickle

    import numpy as np

    from lernnetz.graph.analytics.area import _near, _region
    from lernnetz.graph.analytics.context import _context
    from lernnetz.graph.synthetic import synthetic_participation

    plain = NetworkXStore(None)
    plain.replace(graph_data)
    data = GraphData(
        register=graph_data.register,
        programme=graph_data.programme,
        participation=list(synthetic_participation(plain, n=2000, seed=3)),
    )
    store = NetworkXStore(None)
    store.replace(data)
    first = queries.matches(store, ULM, 40.0)
    assert len(first) > 0
    first.columns.name = "renamed"  # an answer's column Index is its own
    first.loc[0, "funded_members"].append("x")  # as its rows' lists
    again = queries.matches(store, ULM, 40.0)
    assert again.columns.name is None
    assert all(m == [] for m in again["funded_members"])
    ctx = _context(store)
    region = _region(store, ctx, ULM)
    pos, dist = _near(store, ctx, region, 40.0)
    kept = ctx.areas[(region.kind, region.key, 40.0)]
    assert kept[0] is pos and kept[1] is dist
    with pytest.raises(ValueError):
        pos[0] = 0
    with pytest.raises(ValueError):
        dist[0] = 1.0
    fresh = NetworkXStore(None)
    fresh.replace(data)
    pd.testing.assert_frame_equal(again, queries.matches(fresh, ULM, 40.0))
    assert ctx.rows and ctx.areas
    copy = pickle.loads(pickle.dumps(ctx))
    assert copy.rows == {} and copy.areas == {} and copy.funded_masks == {}
    assert np.array_equal(copy.ags, ctx.ags) and copy.regions.keys() == ctx.regions.keys()
