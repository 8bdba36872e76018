"""The analytics context's evidence kept as columns (:mod:`lernnetz.graph.analytics.evidence_rows`).

The context makes a Gemeinde's Evidence items only when a question first shows them. These tests
hold it to the plain eager construction (every interest, every focus topic of an attended event,
every other-programme row made into an item; several items of a topic sorted and de-duplicated;
strength 1 − Π(1 − wᵢ) over them in that order), written out here independently, on the real
register with synthetic participation that has attendances and repeated rows.
"""

from __future__ import annotations

import gc
import math
import pickle
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lernnetz.graph import analytics as queries
from lernnetz.graph.analytics.context import _context
from lernnetz.graph.analytics.context_build import build_context
from lernnetz.graph.analytics.evidence_rows import EvidenceByPlace
from lernnetz.graph.analytics.params import _evidence_weight
from lernnetz.graph.analytics.places import Evidence
from lernnetz.graph.model import GraphData
from lernnetz.graph.store.nx_frames import sorted_frame
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.graph.synthetic import synthetic_participation


@pytest.fixture(scope="module")
def store(graph_data: GraphData) -> NetworkXStore:
    plain = NetworkXStore(None)
    plain.replace(graph_data)
    records = list(synthetic_participation(plain, n=6000, seed=11, attendance_share=0.4))
    assert any(r.event_id for r in records)  # attendances: focus-topic evidence
    out = NetworkXStore(None)
    # the first 500 rows twice: (Gemeinde, topic) pairs with repeated and several items
    out.replace(GraphData(register=graph_data.register, programme=graph_data.programme,
                          participation=records + records[:500]))  # fmt: skip
    return out


def _eager(store: NetworkXStore, pos_of: dict[str, int], names: list[str], labels: dict[str, str],
           programme: dict[int, dict[str, list[Evidence]]]) -> dict[int, dict[str, list[Evidence]]]:  # fmt: skip
    """The evidence as the analytics define it, made item by item."""
    found: dict[int, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for r in store.interests().itertuples(index=False):
        i = pos_of.get(str(r.ags))
        if i is not None:
            t = str(r.topic)
            why = f"{names[i]}: {r.kind} interest in {labels.get(t, t)} ({r.date}), source {r.source}"
            found[i][t].append(Evidence(t, "interest", str(r.kind), str(r.source), str(r.date),
                                        str(r.event_id or ""), float(r.weight), "", why))  # fmt: skip
    focus: dict[str, set[str]] = defaultdict(set)
    for e, t in zip(store.event_topics()["event_id"], store.event_topics()["topic"], strict=True):
        focus[str(e)].add(str(t))
    for r in store.attendances().itertuples(index=False):
        i = pos_of.get(str(r.ags))
        if i is not None:
            for t in sorted(focus[str(r.event_id)]):
                why = f"{names[i]}: {r.kind} event {r.event_id} ({r.date}) with focus {labels.get(t, t)}, source {r.source}"
                found[i][t].append(Evidence(t, "event", str(r.kind), str(r.source), str(r.date), str(r.event_id),
                                            1.0, "", why))  # fmt: skip
    for i, per in programme.items():
        for t, items in per.items():
            found[i][t].extend(items)
    return {i: {t: sorted(set(v)) if len(v) > 1 else list(v) for t, v in sorted(per.items())}
            for i, per in sorted(found.items())}  # fmt: skip


def test_the_evidence_made_on_demand_is_the_eager_evidence(store: NetworkXStore) -> None:
    ctx = _context(store)
    evidence = ctx.evidence
    assert isinstance(evidence, EvidenceByPlace)
    # other-programme items of Gemeinden, as the places build hands them over
    programme = {p: dict(per) for p, per in evidence.rows.extra.items()}
    assert programme, "the curated programme data name Gemeinden"
    want = _eager(store, ctx.pos_of, ctx.name, ctx.topic_labels, programme)
    assert any(len(items) > 1 for per in want.values() for items in per.values())
    assert any(e.via == "event" for per in want.values() for items in per.values() for e in items)
    # the mapping answers as the full dict, before any item is made …
    fresh = pickle.loads(pickle.dumps(evidence))
    assert dict.__len__(fresh) == 0  # pickled as its rows only
    assert len(fresh) == len(want) and list(fresh) == list(want) and list(fresh.keys()) == list(want)
    outside = next(i for i in range(len(ctx.ags)) if i not in want)
    assert outside not in fresh and fresh.get(outside) is None and fresh.get(outside, {}) == {}
    with pytest.raises(KeyError):
        fresh[outside]
    assert "08421000" not in fresh and fresh.get(-1) is None
    # … and its items, strengths and masks are those of the eager construction
    for i, per in want.items():
        assert list(fresh[i]) == list(per), i
        for t, items in per.items():
            assert fresh[i][t] == items and all(type(e) is Evidence for e in fresh[i][t])
            prod = 1.0
            for e in items:
                prod *= 1.0 - _evidence_weight(e.kind, e.weight, e.via)
            assert ctx.strength[i][t] == 1.0 - prod, (i, t)  # bit for bit, not approximately
        assert list(ctx.strength[i]) == list(per)
    assert list(ctx.strength) == list(want)
    assert fresh == want and dict(fresh.items()) == want and fresh.copy() == want
    topics = {t for per in want.values() for t in per}
    assert sorted(ctx.has_topic) == sorted(topics)
    for t in topics:
        assert np.flatnonzero(ctx.has_topic[t]).tolist() == [i for i, per in want.items() if t in per]
    assert np.flatnonzero(ctx.has_any).tolist() == list(want)


def test_answers_read_the_evidence_of_their_rows_only(store: NetworkXStore) -> None:
    """A question makes the items of the Gemeinden it shows (and keeps them), not all of them;
    the context stays free of reference cycles."""
    ulm = "08421000"
    stamp = _context(store).stamp
    gc.disable()
    try:
        ctx = build_context(store, stamp, "")
        gc.collect()  # the build's own temporaries
        made_by_build = dict.__len__(ctx.evidence)
        assert made_by_build < len(ctx.evidence) / 2
        del ctx
        assert gc.collect() == 0
    finally:
        gc.enable()
    df = queries.matches(store, ulm, 30.0)
    assert len(df) > 0
    ctx = _context(store)
    made = dict.__len__(ctx.evidence)
    assert made < len(ctx.evidence)
    shown = [ctx.pos_of[a] for a, level in zip(df["ags"], df["level"], strict=True) if level == "gemeinde"]
    assert all(dict.__contains__(ctx.evidence, p) for p in shown)
    for p, items in zip(shown, df.loc[df["level"] == "gemeinde", "evidence"], strict=True):
        assert items == [e.as_dict() for per in ctx.evidence[p].values() for e in per if e.topic in
                         {x["topic"] for x in items}]  # fmt: skip


def test_sorted_frame_sorts_as_pandas_including_missing_values() -> None:
    columns = ["a", "b", "w", "c"]
    rows: list[list[Any]] = [
        ["x", "b", 1.0, "p"],
        ["x", "a", 0.5, "q"],
        ["a", "z", 2.0, "r"],
        ["x", "a", 0.5, "o"],
    ]
    want = (
        pd.DataFrame(rows, columns=columns)
        .sort_values(["a", "b", "w"], kind="mergesort")
        .reset_index(drop=True)
    )
    got = sorted_frame(rows, columns, ["a", "b", "w"])
    pd.testing.assert_frame_equal(got, want)
    assert got["c"].tolist() == ["r", "q", "o", "p"]  # stable: ties keep their order
    for odd in (None, math.nan, pd.NA):  # missing values go last in pandas; Python cannot order them
        more = [*rows, ["x", odd, 0.1, "s"], ["x", "a", math.nan, "t"], ["a", "z", 2.0, odd]]
        for order in (["a", "b", "w"], columns, ["w"]):
            want = (
                pd.DataFrame(more, columns=columns)
                .sort_values(order, kind="mergesort")
                .reset_index(drop=True)
            )
            pd.testing.assert_frame_equal(sorted_frame(more, columns, order), want)


@pytest.mark.parametrize("min_evidence", ["survey", "registered", "attended", 0.6])
def test_a_min_evidence_view_keeps_the_kept_items_of_each_topic(
    store: NetworkXStore, min_evidence: Any
) -> None:
    """The view's evidence is each (Gemeinde, topic)'s items of a kind at least that strong, in
    their order; a topic (a Gemeinde) left with none is gone; strengths over the kept items."""
    from lernnetz.graph.analytics.min_evidence import evidence_threshold, with_min_evidence
    from lernnetz.graph.analytics.params import DEFAULT_KIND_WEIGHT, KIND_WEIGHTS

    ctx = _context(store)
    full = pickle.loads(pickle.dumps(ctx.evidence))  # its own copy: the view's rows make no items here
    limit = evidence_threshold(min_evidence)
    want: dict[int, dict[str, list[Evidence]]] = {}
    for i, per in full.items():
        kept = {
            t: k
            for t, items in per.items()
            if (k := [e for e in items if KIND_WEIGHTS.get(e.kind, DEFAULT_KIND_WEIGHT) >= limit])
        }
        if kept:
            want[i] = kept
    assert 0 < len(want) < len(full)
    view = with_min_evidence(ctx, min_evidence)
    assert list(view.evidence) == list(want) and view.evidence == want
    for i, per in want.items():
        for t, items in per.items():
            prod = 1.0
            for e in items:
                prod *= 1.0 - _evidence_weight(e.kind, e.weight, e.via)
            assert view.strength[i][t] == 1.0 - prod
    assert list(view.strength) == list(want)
    topics = {t for per in want.values() for t in per}
    assert sorted(view.has_topic) == sorted(topics)
    for t in topics:
        assert np.flatnonzero(view.has_topic[t]).tolist() == [i for i, per in want.items() if t in per]
    assert np.flatnonzero(view.has_any).tolist() == list(want)
