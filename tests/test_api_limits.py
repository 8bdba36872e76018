"""Bounds on heavy work in the API: a concurrency limit (503 + Retry-After at once, never a hang),
single-flight for identical requests, a time budget and a size budget; and the orjson fast path
giving the very bytes the response models would.

The heavy analytic is replaced by a stub that blocks until the test releases it (through
monkeypatch), so the tests control exactly what is in flight; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from lernnetz.api import render
from lernnetz.api.main import create_app
from lernnetz.graph import analytics as queries
from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore

NETWORKS = "/learning-networks?region=Ulm&radius_km=30"


@pytest.fixture(scope="module")
def limits_store(graph_data: GraphData, nx_store: NetworkXStore) -> NetworkXStore:
    from lernnetz.graph.synthetic import synthetic_participation

    store = NetworkXStore(None)
    store.replace(
        GraphData(
            register=graph_data.register,
            programme=graph_data.programme,
            participation=list(synthetic_participation(nx_store, n=3000, seed=7)),
        )
    )
    return store


class SlowNetworks:
    """``learning_networks`` that waits for :attr:`release` (at most 10 s) before computing."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        self.release.wait(10)
        return self.real(*args, **kwargs)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowNetworks]:
    stub = SlowNetworks(queries.learning_networks)
    monkeypatch.setattr(queries, "learning_networks", stub)
    try:
        yield stub
    finally:
        stub.release.set()  # never leave a worker thread blocked


def app_for(store: NetworkXStore, tmp: Path, **env: Any) -> Any:
    return create_app(Settings(LERNNETZ_DATA_DIR=str(tmp), **env), store=store)


async def wait_for(cond: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=60))


def test_over_the_limit_503_at_once_and_health_answers(
    limits_store: NetworkXStore, tmp_path: Path, slow: SlowNetworks
) -> None:
    app = app_for(limits_store, tmp_path, LERNNETZ_HEAVY_CONCURRENCY=2, LERNNETZ_API_CACHE=False)
    state = app.state.lernnetz

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            # two distinct heavy requests take both slots and block in the stub
            running = [asyncio.create_task(c.get(f"{NETWORKS}&seed={s}")) for s in (1, 2)]
            await wait_for(lambda: slow.calls == 2)
            assert state.heavy.running == 2
            # more distinct heavy requests: refused at once, with Retry-After
            t0 = time.monotonic()
            extra = await asyncio.gather(
                c.get(f"{NETWORKS}&seed=3"),
                c.get("/event-plans?topic=mobility&k=2"),
                c.get("/white-spots?topic=mobility"),
            )
            assert time.monotonic() - t0 < 5.0
            for r in extra:
                assert r.status_code == 503, r.text
                assert r.json()["error"] == "busy"
                assert 1 <= int(r.headers["retry-after"]) <= 5
                assert r.json()["hint"]
            # health and a lookup answer while the heavy ones run
            t0 = time.monotonic()
            h = await c.get("/health")
            m = await c.get("/municipalities/08421000")
            assert h.status_code == 200 and m.status_code == 200
            assert time.monotonic() - t0 < 5.0
            assert slow.calls == 2  # the refused ones never started
            slow.release.set()
            done = await asyncio.gather(*running)
            assert [r.status_code for r in done] == [200, 200]
            assert state.heavy.running == 0
            # slots are free again
            r = await c.get(f"{NETWORKS}&seed=3")
            assert r.status_code == 200

    run(scenario())


def test_identical_requests_are_computed_once(
    limits_store: NetworkXStore, tmp_path: Path, slow: SlowNetworks
) -> None:
    # cache off and one slot: only single-flight can let five identical requests all succeed
    app = app_for(limits_store, tmp_path, LERNNETZ_HEAVY_CONCURRENCY=1, LERNNETZ_API_CACHE=False)
    state = app.state.lernnetz

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            tasks = [asyncio.create_task(c.get(NETWORKS)) for _ in range(5)]
            await wait_for(lambda: slow.calls == 1 and state.flights.joined >= 4)
            slow.release.set()
            out = await asyncio.gather(*tasks)
            assert [r.status_code for r in out] == [200] * 5
            assert len({r.content for r in out}) == 1
            assert slow.calls == 1
            assert len(state.flights) == 0 and state.heavy.running == 0
            # afterwards (nothing in flight, cache off) the same request is computed again
            again = await c.get(NETWORKS)
            assert again.status_code == 200 and again.content == out[0].content
            assert slow.calls == 2

    run(scenario())


def test_an_error_reaches_every_waiter_and_frees_the_slot(
    limits_store: NetworkXStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lernnetz.graph.errors import NotFound

    release = threading.Event()
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        release.wait(10)
        raise NotFound("no such network", hint="stub")

    monkeypatch.setattr(queries, "learning_networks", failing)
    app = app_for(limits_store, tmp_path, LERNNETZ_HEAVY_CONCURRENCY=1, LERNNETZ_API_CACHE=False)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            tasks = [asyncio.create_task(c.get(NETWORKS)) for _ in range(3)]
            await wait_for(lambda: len(calls) == 1 and app.state.lernnetz.flights.joined >= 2)
            release.set()
            out = await asyncio.gather(*tasks)
            assert [r.status_code for r in out] == [404] * 3
            assert all(r.json()["error"] == "not_found" for r in out)
            assert len(calls) == 1
            assert app.state.lernnetz.heavy.running == 0

    try:
        run(scenario())
    finally:
        release.set()


def test_time_budget_503_then_the_retry_is_served(
    limits_store: NetworkXStore, tmp_path: Path, slow: SlowNetworks
) -> None:
    app = app_for(limits_store, tmp_path, LERNNETZ_HEAVY_BUDGET_S=0.3)
    state = app.state.lernnetz

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            t0 = time.monotonic()
            r = await c.get(NETWORKS)
            assert time.monotonic() - t0 < 3.0
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "too_slow"
            assert int(r.headers["retry-after"]) >= 1
            assert state.heavy.running == 1  # the computation goes on and keeps its slot
            slow.release.set()
            await wait_for(lambda: state.heavy.running == 0)
            r2 = await c.get(NETWORKS)  # served from the cache: computed once in all
            assert r2.status_code == 200
            assert slow.calls == 1

    run(scenario())


def test_size_budget_422_with_a_hint(limits_store: NetworkXStore, tmp_path: Path) -> None:
    app = app_for(limits_store, tmp_path, LERNNETZ_HEAVY_MAX_PLACES=500)
    with TestClient(app) as c:
        t0 = time.monotonic()
        r = c.get("/learning-networks?region=Bayern&radius_km=300")
        assert time.monotonic() - t0 < 10.0  # bounded (the machine is shared: generous)
        assert r.status_code == 422
        body = r.json()
        assert body["error"] == "region_too_large"
        assert "narrow" in body["hint"]
        r = c.get("/learning-networks/view?region=Bayern&radius_km=300")
        assert r.status_code == 422 and r.json()["error"] == "region_too_large"
        # a small region stays within the budget
        assert c.get("/learning-networks?region=08425141&radius_km=10").status_code == 200


class HeldMatches:
    """``match_rows`` that counts the calls under way and waits for :attr:`release` (at most 10 s)."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls = self.active = self.peak = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            self.release.wait(10)
            return self.real(*args, **kwargs)
        finally:
            with self._lock:
                self.active -= 1


@pytest.mark.parametrize("lanes", [1, 0])
def test_answers_take_turns_in_one_lane_and_heavy_ones_do_not_wait(
    limits_store: NetworkXStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lanes: int
) -> None:
    """On the embedded store the answers that are not heavy are computed one at a time (first
    come first served: threads would only share one core); heavy ones and /health do not wait
    for them. ``LERNNETZ_API_LANES=0`` gives them the shared pool (all under way at once)."""
    held = HeldMatches(queries.match_rows)
    monkeypatch.setattr(queries, "match_rows", held)
    app = app_for(limits_store, tmp_path, LERNNETZ_API_CACHE=False, LERNNETZ_API_LANES=lanes)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            # four different questions (none joins another's flight)
            asked = [
                asyncio.create_task(c.get(f"/matches?region=Ulm&radius_km={km}")) for km in (20, 30, 40, 50)
            ]
            if lanes == 1:
                await wait_for(lambda: held.calls == 1)
                await asyncio.sleep(0.3)
                assert held.calls == 1  # the others wait their turn
            else:
                await wait_for(lambda: held.calls == 4)
            # while the lane is taken, a heavy answer and /health are computed
            heavy = await c.get(NETWORKS)
            health = await c.get("/health")
            assert heavy.status_code == 200 and health.status_code == 200
            held.release.set()
            done = await asyncio.gather(*asked)
            assert [r.status_code for r in done] == [200] * 4
            assert held.peak == (1 if lanes == 1 else 4)

    try:
        run(scenario())
    finally:
        held.release.set()


def test_neo4j_answers_use_the_shared_pool(tmp_path: Path) -> None:
    """Neo4j answers mostly wait on the server: they are not put in one lane."""
    from lernnetz.api.deps import ApiState

    class Remote:
        backend = "neo4j"

    state = ApiState(Settings(LERNNETZ_DATA_DIR=str(tmp_path)), store=Remote())  # type: ignore[arg-type]
    assert state.lane() is None


@pytest.mark.parametrize(
    "url",
    [
        "/projects",
        "/projects?round=2019&limit=7&offset=3",
        "/projects?topic=mobility",
        "/topics",
        "/projects/ulm",
        "/projects/landkreis-mayen-koblenz",
        "/matches?region=Ulm&radius_km=30",
        "/matches?region=08425141&radius_km=50&topic=mobility",
        "/matches?region=Bayern&radius_km=20&limit=1000",
        "/matches?region=08425&radius_km=40&projects=all&limit=all",
        "/matches?region=Hamburg&radius_km=60&funded_means=member&min_evidence=registered",
        "/matches?region=08421000&radius_km=80&funded_means=verband&limit=17&offset=23",
        "/matches?region=Berlin&radius_km=100&topic=mobility&topic=energy&min_evidence=survey",
        "/matches?region=Ulm&radius_km=1",
    ],
)
def test_fast_json_equals_the_validated_answer(
    limits_store: NetworkXStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    app = app_for(limits_store, tmp_path, LERNNETZ_API_CACHE=False)
    with TestClient(app) as c:
        fast = c.get(url)
        monkeypatch.setattr(render, "FAST_JSON", False)
        slow = c.get(url)
    assert fast.status_code == 200 and slow.status_code == 200
    assert fast.content == slow.content


@pytest.mark.parametrize(
    "url",
    [
        "/matches?region=Ulm&radius_km=30",
        "/matches?region=08425141&radius_km=50&topic=mobility&limit=5&offset=2",
        "/matches?region=08425&radius_km=40&projects=all&limit=all",
        "/matches?region=Hamburg&radius_km=60&funded_means=member&min_evidence=registered",
        "/matches?region=08421000&radius_km=80&funded_means=verband&limit=17&offset=23",
        "/matches?region=Ulm&radius_km=1",
        "/matches?region=Ulm&radius_km=30&offset=100000",
        "/matches?region=08421000&radius_km=50&limit=7&offset=3&format=csv",
        "/matches?region=08421000&radius_km=50&limit=7&offset=3&format=excel-csv",
        "/matches?region=08421000&radius_km=50&limit=7&offset=3&format=geojson",
        "/matches?region=Ulm&radius_km=1&format=csv",
    ],
)
def test_match_rows_give_the_bytes_of_the_matches_frame(
    limits_store: NetworkXStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """/matches pages and serialises the analytic's rows without making its frame: every format
    gives the bytes the frame of :func:`queries.matches` gives (paged with ``iloc``)."""
    from lernnetz.api.routes import analytics as routes

    app = app_for(limits_store, tmp_path, LERNNETZ_API_CACHE=False)
    with TestClient(app) as c:
        rows = c.get(url)
        monkeypatch.setattr(routes.queries, "match_rows", queries.matches)  # the frame instead
        frame = c.get(url)
    assert rows.status_code == 200 and frame.status_code == 200
    assert rows.headers["x-total-count"] == frame.headers["x-total-count"]
    assert rows.content == frame.content


def test_fast_rows_give_the_bytes_of_the_validated_rows() -> None:
    """Missing cells (NaN in float, text and object columns, None, pd.NA) and numpy scalars:
    the fast conversion serialises to the bytes of :func:`render.rows` (pd.NA, which orjson
    refuses, by falling back to it)."""
    import numpy as np
    import pandas as pd
    from pydantic import BaseModel

    from lernnetz.api.schemas.base import Page

    class Row(BaseModel):
        a: str | None
        n: int
        x: float | None
        tags: list[str] | None
        d: dict[str, float] | None

    frame = pd.DataFrame(
        {
            "a": pd.Series(["p", None, "r"], dtype="str"),
            "n": np.array([1, 2, 3], dtype=np.int64),
            "x": [0.1, float("nan"), 1e-7],
            "tags": [["s"], None, float("nan")],
            "d": [{"k": np.float64(2.5)}, {}, None],
        }
    )
    with_na = frame.assign(tags=pd.Series([["s"], pd.NA, None], dtype=object))
    for df in (frame, with_na):
        result = render.page(df, 100, 0)
        fast = render._render(lambda r=result: r, None, "json", "", fast=True).body
        slow = render._render(lambda r=result: r, Page[Row], "json", "", fast=False).body
        assert fast == slow
