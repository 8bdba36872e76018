"""The HTTP API with FastAPI's test client: every endpoint, every error path, the one error body.

The app gets an injected embedded store built from the real register and programme data plus
the seeded synthetic participation (clearly ``source=synthetic``). Expected values are computed
independently from the store or the graph functions, never hard-coded from API output.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lernnetz.api import deps as api_deps
from lernnetz.api.cli.common import frame_records
from lernnetz.api.main import create_app
from lernnetz.graph import analytics as queries
from lernnetz.graph.errors import StoreUnavailable
from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore

TOKEN = "test-token-5f1c"
ASCII_PRINTABLE = set(range(0x20, 0x7F))


def make_settings(tmp: Path, *, token: str = TOKEN, cors: str = "") -> Settings:
    """Settings for a test app: isolated data dir, a known token."""
    return Settings(LERNNETZ_DATA_DIR=str(tmp), LERNNETZ_API_TOKEN=token, LERNNETZ_CORS_ORIGINS=cors)


def synthetic(store: NetworkXStore) -> list[Any]:
    """The seeded demo participation (source=synthetic)."""
    from lernnetz.graph.synthetic import synthetic_participation

    return list(synthetic_participation(store, n=3000, seed=7))


@pytest.fixture(scope="module")
def api_store(graph_data: GraphData, nx_store: NetworkXStore) -> NetworkXStore:
    """Register + programme + synthetic participation, in memory (this module's own store)."""
    store = NetworkXStore(None)
    store.replace(
        GraphData(
            register=graph_data.register,
            programme=graph_data.programme,
            participation=synthetic(nx_store),
        )
    )
    return store


@pytest.fixture(scope="module")
def client(api_store: NetworkXStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A module-scoped test client on the shared API store."""
    app = create_app(make_settings(tmp_path_factory.mktemp("api")), api_store)
    with TestClient(app) as c:
        yield c


def counts(store: NetworkXStore) -> tuple[dict[str, int], dict[str, int]]:
    """Node and edge counts, to prove a store unchanged."""
    info = store.info()
    return dict(info["nodes"]), dict(info["edges"])


def assert_error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error body with the right status."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) - {"candidates"} == {"error", "detail", "hint"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["hint"], str)
    if code is not None:
        assert body["error"] == code, body
    return dict(body)


# ---------------------------------------------------------------------------- health, stats


def test_health_reports_store_counts_and_attribution(client: TestClient, api_store: NetworkXStore) -> None:
    resp = client.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    info = api_store.info()
    assert body["status"] == "ok" and body["store_reachable"] is True
    assert body["stichtag"] == info["stichtag"] == "2020-12-31"
    assert body["nodes"] == info["nodes"]
    assert body["nodes"]["Municipality"] == 11004
    assert body["attribution"] == info["attribution"]
    assert "dl-de/by-2-0" in body["attribution"] and "Destatis" in body["attribution"]


def test_every_response_carries_an_ascii_attribution_header(client: TestClient) -> None:
    for url in ("/health", "/stats", "/municipalities?limit=1", "/municipalities/99999999", "/nope"):
        resp = client.get(url)
        header = resp.headers["x-data-attribution"]
        assert set(header.encode()) <= ASCII_PRINTABLE, header
        assert "Statistisches Bundesamt (Destatis)" in header and "dl-de/by-2-0" in header
        assert "(Daten veraendert)" in header  # transliterated, not dropped
        assert 'rel="license"' in resp.headers["link"]


def test_health_says_unavailable_and_data_endpoints_503_without_a_graph(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "empty"))  # no snapshot: the store holds no graph
    with TestClient(app) as c:
        resp = c.get("/health")
        assert resp.status_code == 200
        body = resp.json()
        assert body["status"] == "unavailable" and body["store_reachable"] is False
        assert "lernnetz load" in body["hint"]
        for url in ("/stats", "/municipalities", "/projects", "/matches?region=Ulm&radius_km=20"):
            err = assert_error(c.get(url), 503)
            assert err["error"] in {"no_graph", "store_unavailable"}


def test_api_picks_up_a_graph_loaded_after_it_started(
    graph_data: GraphData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(api_deps, "REOPEN_INTERVAL_S", 0.0)
    settings = make_settings(tmp_path / "late")
    with TestClient(create_app(settings)) as c:
        assert_error(c.get("/municipalities/08421000"), 503, "no_graph")
        NetworkXStore(settings.snapshot_path).replace(graph_data)  # `lernnetz load` meanwhile
        resp = c.get("/municipalities/08421000")
        assert resp.status_code == 200, resp.text
        assert c.get("/health").json()["status"] == "ok"
        assert "Gebietsstand 31.12.2020" in resp.headers["x-data-attribution"]


def test_a_server_process_builds_at_start_what_questions_would_and_tunes_the_collector(
    graph_data: GraphData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At start-up the API builds the lookup indexes and the k-d tree (not the first requests
    under load) and collects young objects less often; closing gives the collector its thresholds back."""
    import gc

    from lernnetz.graph.analytics import basic
    from lernnetz.graph.analytics.context import _context

    settings = make_settings(tmp_path / "served")
    NetworkXStore(settings.snapshot_path).replace(graph_data)
    before = gc.get_threshold()
    with TestClient(create_app(settings)) as c:
        state = c.app.state.lernnetz
        assert gc.get_threshold() == (api_deps.SERVER_GC_THRESHOLD, *before[1:])
        assert _context(state.store).index._built  # no question asked yet

        def rebuilt(store: Any) -> Any:
            raise AssertionError("the municipality index was built by a request")

        monkeypatch.setattr(basic, "_municipality_index", rebuilt)
        assert c.get("/municipalities/08421000").status_code == 200
    assert gc.get_threshold() == before


class FlakyStore:
    """A remote-like store (think Neo4j) that can be switched off: every call raises then."""

    backend = "remote"

    def __init__(self, inner: NetworkXStore) -> None:
        self.inner = inner
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable("Neo4j at bolt://127.0.0.1:7687 is not reachable", hint="start Neo4j")
            return attr(*args, **kwargs)

        return call


def test_store_down_then_back_503_meanwhile_no_restart(api_store: NetworkXStore, tmp_path: Path) -> None:
    flaky = FlakyStore(api_store)
    with TestClient(create_app(make_settings(tmp_path), flaky)) as c:  # type: ignore[arg-type]
        url = "/municipalities?district=08425&limit=3"
        assert c.get(url).status_code == 200
        flaky.down = True
        err = assert_error(c.get(url), 503, "store_unavailable")  # not served from a cache
        assert "not reachable" in err["detail"] and err["hint"] == "start Neo4j"
        assert_error(c.get("/matches", params={"region": "Ulm", "radius_km": 20}), 503, "store_unavailable")
        health = c.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "unavailable"
        flaky.down = False
        assert c.get(url).status_code == 200
        assert c.get("/health").json()["status"] == "ok"


def test_stats_match_the_store(client: TestClient, api_store: NetworkXStore) -> None:
    body = client.get("/stats").json()
    m = api_store.municipalities()
    real = m[~m["unincorporated"].astype(bool)]
    assert body["population"] == int(m["population"].sum()) == 83_166_711
    assert body["municipalities"] == len(real) == 10_794
    assert body["unincorporated_areas"] == 210
    assert body["funded_municipalities"] == int(real["funded"].sum())
    assert body["projects_by_round"] == {"2019": 13, "2020": 32, "2021": 28}
    assert body["interest_sources"]["synthetic"] == len(api_store.interests())


# ---------------------------------------------------------------------------- municipalities


def test_municipalities_filters_agree_with_pandas(client: TestClient, api_store: NetworkXStore) -> None:
    m = api_store.municipalities()
    resp = client.get("/municipalities", params={"state": "BW", "funded": "false", "min_population": 20000,
                                                 "max_population": 50000, "limit": 1000})  # fmt: skip
    assert resp.status_code == 200
    body = resp.json()
    want = m[(m["state_code"] == "08") & ~m["funded"].astype(bool) & m["population"].between(20000, 50000)]
    assert body["total"] == len(want) > 0
    assert [r["ags"] for r in body["items"]] == list(want["ags"])
    assert resp.headers["x-total-count"] == str(len(want))
    assert all(r["state"] == "Baden-Württemberg" for r in body["items"])


def test_municipalities_name_search_ignores_umlaut_spelling(client: TestClient) -> None:
    a = client.get("/municipalities", params={"q": "München"}).json()
    b = client.get("/municipalities", params={"q": "muenchen"}).json()
    assert a["total"] == b["total"] > 0
    assert "09162000" in {r["ags"] for r in a["items"]}


def test_municipalities_pagination_is_a_window_of_the_full_list(client: TestClient) -> None:
    full = client.get("/municipalities", params={"district": "08425", "limit": 1000}).json()
    part = client.get("/municipalities", params={"district": "08425", "limit": 5, "offset": 5}).json()
    assert part["total"] == full["total"] > 10
    assert part["items"] == full["items"][5:10]


def test_municipalities_csv_and_geojson(client: TestClient, api_store: NetworkXStore) -> None:
    params = {"district": "Alb-Donau-Kreis", "limit": 1000}
    js = client.get("/municipalities", params=params).json()
    resp = client.get("/municipalities", params={**params, "format": "csv"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert [r["ags"] for r in rows] == [r["ags"] for r in js["items"]]
    assert rows[0]["ags"].startswith("08425")  # keys keep their leading zeros
    geo = client.get("/municipalities", params={**params, "format": "geojson"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    fc = geo.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == js["total"]
    first = fc["features"][0]
    assert first["geometry"]["coordinates"] == pytest.approx([js["items"][0]["lon"], js["items"][0]["lat"]])
    assert first["properties"]["ags"] == js["items"][0]["ags"]


def test_municipality_detail_lists_covering_projects(client: TestClient, api_store: NetworkXStore) -> None:
    terr = api_store.territories()
    ags = str(terr[terr["project_id"] == "landkreis-mayen-koblenz"]["ags"].iloc[0])
    body = client.get(f"/municipalities/{ags}").json()
    assert body["ags"] == ags and body["district_key"] == ags[:5]
    assert "landkreis-mayen-koblenz" in {p["id"] for p in body["projects"]}
    assert body["funded"] is True
    want_interests = api_store.interests(ags=[ags])
    assert len(body["interests"]) == len(want_interests)


def test_unknown_ags_is_404_with_hint(client: TestClient) -> None:
    err = assert_error(client.get("/municipalities/99999999"), 404, "not_found")
    assert "99999999" in err["detail"] and "regions/resolve" in err["hint"]


def test_malformed_ags_is_422(client: TestClient) -> None:
    err = assert_error(client.get("/municipalities/Ulm"), 422, "invalid_request")
    assert "ags" in err["detail"]


def test_unknown_state_filter_is_404_with_the_known_codes(client: TestClient) -> None:
    err = assert_error(client.get("/municipalities", params={"state": "XX"}), 404)
    assert "BW" in err["hint"]


# ---------------------------------------------------------------------------- programme


def test_projects_by_round_and_category(client: TestClient, api_store: NetworkXStore) -> None:
    p = api_store.projects()
    for rnd in (2019, 2020, 2021):
        body = client.get("/projects", params={"round": rnd}).json()
        assert body["total"] == int((p["round"] == rnd).sum())
    body = client.get("/projects", params={"round": 2020, "category": "IK"}).json()
    assert body["total"] == 12 and all(r["category"] == "IK" for r in body["items"])


def test_projects_topic_filter(client: TestClient, api_store: NetworkXStore) -> None:
    pt = api_store.project_topics()
    topic = str(pt["topic"].value_counts().index[0])
    body = client.get("/projects", params={"topic": topic, "limit": 1000}).json()
    assert sorted(r["id"] for r in body["items"]) == sorted(pt.loc[pt["topic"] == topic, "project_id"])


def test_unknown_topic_is_404_with_hint(client: TestClient) -> None:
    for url in ("/projects?topic=no-such-topic", "/events?topic=no-such-topic"):
        err = assert_error(client.get(url), 404, "not_found")
        assert "no-such-topic" in err["detail"] and "known topics" in err["hint"]


def test_project_detail_resolves_members_to_gemeinden(client: TestClient, api_store: NetworkXStore) -> None:
    body = client.get("/projects/landkreis-mayen-koblenz").json()
    terr = api_store.territories(["landkreis-mayen-koblenz"])
    assert sorted(g["ags"] for g in body["gemeinden"]) == sorted(terr["ags"])
    assert len(body["gemeinden"]) > 50  # Verbandsgemeinden resolved to their Ortsgemeinden
    assert body["project"]["source"] and body["project"]["confidence"] in {"S", "G", "U"}
    hh = client.get("/projects", params={"state": "HH"}).json()["items"]
    assert hh, "Hamburg's project is listed under HH"


def test_unknown_project_is_404(client: TestClient) -> None:
    assert_error(client.get("/projects/no-such-project"), 404, "not_found")


def test_topics_with_usage_counts(client: TestClient, api_store: NetworkXStore) -> None:
    body = client.get("/topics").json()
    assert body["total"] == len(api_store.topics())
    pt = api_store.project_topics()
    row = next(r for r in body["items"] if r["slug"] == pt["topic"].iloc[0])
    assert row["projects"] == pt.loc[pt["topic"] == row["slug"], "project_id"].nunique()
    it = api_store.interests()
    assert sum(r["interested_municipalities"] for r in body["items"]) == int(
        it.groupby("topic")["ags"].nunique().sum()
    )


def test_events_filters_and_detail(client: TestClient, api_store: NetworkXStore) -> None:
    body = client.get("/events", params={"kind": "regionalkonferenz", "year": 2022}).json()
    assert body["total"] >= 3
    assert all(r["kind"] == "regionalkonferenz" and r["date_start"].startswith("2022") for r in body["items"])
    dates = [r["date_start"] for r in body["items"]]
    assert dates == sorted(dates)
    eid = body["items"][0]["id"]
    detail = client.get(f"/events/{eid}").json()
    assert detail["event"]["id"] == eid and detail["event"]["source"]
    assert_error(client.get("/events/no-such-event"), 404, "not_found")


def test_filters_that_match_nothing_give_an_empty_page(client: TestClient) -> None:
    # regression (found by schemathesis): an empty frame filtered again lost its columns
    for url in ("/events?year=1990&topic=mobility", "/projects?state=ZZ&topic=mobility"):
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.text)
        assert resp.json()["total"] == 0 and resp.json()["items"] == []


def test_events_geojson_places_events_at_their_municipality(
    client: TestClient, api_store: NetworkXStore
) -> None:
    fc = client.get("/events", params={"format": "geojson", "limit": 1000}).json()
    placed = [f for f in fc["features"] if f["geometry"] is not None]
    assert placed
    m = api_store.municipalities().set_index("ags")
    for f in placed:
        key = f["properties"]["place_key"]
        assert f["geometry"]["coordinates"] == pytest.approx([m.loc[key, "lon"], m.loc[key, "lat"]], abs=1e-6)


# ---------------------------------------------------------------------------- regions


def test_resolve_one_region(client: TestClient) -> None:
    body = client.get("/regions/resolve", params={"q": "Ulm"}).json()
    assert body["status"] == "resolved"
    assert body["region"]["key"] == "08421000" and body["region"]["member_count"] == 1
    kreis = client.get("/regions/resolve", params={"q": "Landkreis Mayen-Koblenz"}).json()
    assert kreis["region"]["kind"] == "district" and kreis["region"]["member_count"] > 50


def test_resolve_ambiguous_name_lists_candidates(client: TestClient) -> None:
    body = client.get("/regions/resolve", params={"q": "Neustadt"}).json()
    assert body["status"] == "ambiguous" and body["region"] is None
    keys = {c["key"] for c in body["candidates"]}
    assert {"07316000", "06534016"} <= keys  # Neustadt an der Weinstraße, Neustadt (Hessen)


def test_resolve_nothing_is_404(client: TestClient) -> None:
    assert_error(client.get("/regions/resolve", params={"q": "Atlantis-upon-Sea"}), 404, "not_found")


# ---------------------------------------------------------------------------- generic errors, formats


def test_wrong_format_value_is_422(client: TestClient) -> None:
    for url in (
        "/municipalities?format=xml",
        "/topics?format=geojson",
        "/topics?format=pdf",
    ):  # /projects has geojson now (territories)
        err = assert_error(client.get(url), 422, "invalid_request")
        assert "format" in err["detail"]


def test_limit_above_1000_is_422(client: TestClient) -> None:
    err = assert_error(client.get("/municipalities", params={"limit": 1001}), 422, "invalid_request")
    assert "limit" in err["detail"]


def test_unknown_path_and_method(client: TestClient) -> None:
    assert_error(client.get("/no/such/path"), 404, "not_found")
    assert_error(client.post("/municipalities"), 405, "method_not_allowed")


# ---------------------------------------------------------------------------- docs, CORS, logging, cache


def test_openapi_documents_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ops = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert {f"{m.upper()} {p}" for p, m, _ in ops} == {
        "GET /health", "GET /stats", "GET /municipalities", "GET /municipalities/{ags}",
        "GET /municipalities/{ags}/recommendations", "GET /projects", "GET /projects/{project_id}",
        "GET /topics", "GET /events", "GET /events/{event_id}", "GET /regions/resolve", "GET /matches",
        "GET /learning-networks", "GET /learning-networks/view", "GET /learning-networks/graph", "GET /white-spots", "GET /event-plans",
        "GET /connections", "GET /interests", "POST /imports/participation", "POST /imports/ties",
    }  # fmt: skip
    for path, method, op in ops:
        assert op.get("summary") and op.get("description"), (method, path)
        for status, resp in op["responses"].items():
            if status.startswith(("4", "5")):
                ref = resp["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, status)
    # the response schemas carry examples for the docs page
    schemas = spec["components"]["schemas"]
    for name in ("MunicipalityRow", "ErrorBody", "RegionResolution", "ProjectRow", "Health"):
        assert schemas[name].get("examples"), name
    assert client.get("/docs").status_code == 200
    assert "/static-docs/swagger-ui/swagger-ui-bundle.js" in client.get("/docs").text  # served offline
    assert (
        "cdn.jsdelivr" not in client.get("/redoc").text
        and "fonts.googleapis" not in client.get("/redoc").text
    )


def test_cors_is_configurable(api_store: NetworkXStore, tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, cors="https://dashboard.example.org"), api_store)
    with TestClient(app) as c:
        pre = c.options(
            "/municipalities",
            headers={"Origin": "https://dashboard.example.org", "Access-Control-Request-Method": "GET"},
        )
        assert pre.headers["access-control-allow-origin"] == "https://dashboard.example.org"
        other = c.get("/health", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in other.headers
    app2 = create_app(make_settings(tmp_path), api_store)
    with TestClient(app2) as c:
        resp = c.get("/health", headers={"Origin": "https://dashboard.example.org"})
        assert "access-control-allow-origin" not in resp.headers


def test_requests_are_logged_with_timing_and_never_the_token(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lernnetz.api"):
        client.get("/municipalities/08421000", headers={"Authorization": f"Bearer {TOKEN}"})
        client.post("/imports/participation", headers={"Authorization": f"Bearer {TOKEN}-wrong"})
    lines = [r.getMessage() for r in caplog.records if r.name == "lernnetz.api"]
    assert any("GET /municipalities/08421000 200" in line and line.endswith(" ms") for line in lines), lines
    assert any("POST /imports/participation 403" in line for line in lines), lines
    assert TOKEN not in caplog.text


def test_identical_queries_are_served_from_the_cache(client: TestClient) -> None:
    state = client.app.state.lernnetz  # type: ignore[attr-defined]
    url = "/municipalities?q=Bad&state=BY&limit=7"
    first = client.get(url)
    hits = state.cache.hits
    second = client.get("/municipalities?limit=7&state=BY&q=Bad")  # same query, other order
    assert state.cache.hits == hits + 1
    assert second.content == first.content


# ---------------------------------------------------------------------------- analytics


def test_matches_equal_the_graph_function(client: TestClient, api_store: NetworkXStore) -> None:
    want = queries.matches(api_store, "Ulm", 30)
    body = client.get("/matches", params={"region": "Ulm", "radius_km": 30, "limit": 1000}).json()
    assert body["total"] == len(want) > 0
    assert [r["ags"] for r in body["items"]] == list(want["ags"])
    assert [r["distance_km"] for r in body["items"]] == pytest.approx(list(want["distance_km"]))
    assert body["items"][0]["projects"] == frame_records(want.head(1))[0]["projects"]
    funded = set(api_store.municipalities().query("funded")["ags"])
    for r in body["items"]:
        assert r["ags"] not in funded and 0 <= r["distance_km"] <= 30
        assert r["shared_topics"] and r["evidence"] and r["projects"]
        assert set(r["shared_topics"]) <= {t for p in r["projects"] for t in p["shared_topics"]}
        assert r["score"] == pytest.approx(
            r["score_components"]["topic_idf"] * r["score_components"]["evidence"]
            * r["score_components"]["distance_decay"], abs=1e-5
        )  # fmt: skip


def test_matches_topic_filter_and_all_projects(client: TestClient, api_store: NetworkXStore) -> None:
    topic = "strategy-development"
    one = client.get(
        "/matches", params={"region": "Ulm", "radius_km": 60, "topic": topic, "limit": 1000}
    ).json()
    assert one["total"] == len(queries.matches(api_store, "Ulm", 60, topics=[topic]))
    assert all(r["shared_topics"] == [topic] for r in one["items"])
    near = client.get("/matches", params={"region": "Ulm", "radius_km": 60}).json()
    everywhere = client.get("/matches", params={"region": "Ulm", "radius_km": 60, "projects": "all"}).json()
    assert everywhere["total"] >= near["total"]
    assert everywhere["total"] == len(queries.matches(api_store, "Ulm", 60, projects="all"))


def test_matches_as_csv_and_geojson(client: TestClient) -> None:
    params = {"region": "Ulm", "radius_km": 40, "limit": 1000}
    js = client.get("/matches", params=params).json()
    rows = list(csv.DictReader(io.StringIO(client.get("/matches", params={**params, "format": "csv"}).text)))
    assert [r["ags"] for r in rows] == [r["ags"] for r in js["items"]]
    assert rows[0]["shared_topics"] == "; ".join(
        js["items"][0]["shared_topics"]
    )  # lists as "; " text, no JSON
    fc = client.get("/matches", params={**params, "format": "geojson"}).json()
    assert [f["properties"]["ags"] for f in fc["features"]] == [r["ags"] for r in js["items"]]
    assert "dl-de/by-2-0" in fc["attribution"]


def test_ambiguous_region_is_409_listing_candidates(client: TestClient) -> None:
    for url in (
        "/matches?region=Neustadt&radius_km=20",
        "/learning-networks?region=Neustadt",
        "/connections?a=Neustadt&b=ulm",
    ):
        err = assert_error(client.get(url), 409, "ambiguous")
        keys = {c["key"] for c in err["candidates"]}
        assert {"07316000", "06534016"} <= keys, url
        assert all({"kind", "key", "name"} <= set(c) for c in err["candidates"])
        assert "key" in err["hint"]


def test_unknown_region_is_404(client: TestClient) -> None:
    err = assert_error(client.get("/matches", params={"region": "Atlantis-upon-Sea", "radius_km": 20}), 404)
    assert "regions/resolve" in err["hint"]


@pytest.mark.parametrize("value", ["0", "-5", "300.5", "1000", "nan", "abc"])
def test_radius_out_of_range_is_422(client: TestClient, value: str) -> None:
    for url in ("/matches?region=Ulm", "/white-spots?topic=mobility", "/event-plans?topic=mobility",
                "/learning-networks?region=Ulm"):  # fmt: skip
        err = assert_error(client.get(f"{url}&radius_km={value}"), 422, "invalid_request")
        assert "radius_km" in err["detail"], (url, value)


def test_unknown_topic_on_analytics_is_404_with_hint(client: TestClient) -> None:
    for url in ("/matches?region=Ulm&topic=no-such-topic", "/white-spots?topic=no-such-topic",
                "/event-plans?topic=no-such-topic", "/learning-networks?region=Ulm&topic=no-such-topic"):  # fmt: skip
        err = assert_error(client.get(url), 404, "not_found")
        assert "no-such-topic" in err["detail"] and "/topics" in err["hint"], url


def test_recommendations_equal_the_graph_function(client: TestClient, api_store: NetworkXStore) -> None:
    want = queries.recommend(api_store, "08425141", 3)
    body = client.get("/municipalities/08425141/recommendations", params={"top": 3}).json()
    got = [(r["section"], r["rank"], r["project_id"]) for r in body["items"]]
    assert got == list(zip(want["section"], want["rank"], want["project_id"], strict=True))
    assert ("nearby", 1, "ulm") in got  # Blaustein's next-door project
    assert all(r["reasons"] for r in body["items"])
    want = queries.recommend(api_store, "08425141", 2, nearby=1, reach_km=20, min_evidence="registered")
    body = client.get(
        "/municipalities/08425141/recommendations",
        params={"top": 2, "nearby": 1, "reach_km": 20, "min_evidence": "registered"},
    ).json()
    assert [r["project_id"] for r in body["items"]] == list(want["project_id"])
    assert_error(
        client.get("/municipalities/08425141/recommendations", params={"min_evidence": "rumour"}), 422
    )
    assert_error(client.get("/municipalities/99999999/recommendations"), 404)
    assert_error(client.get("/municipalities/08425141/recommendations", params={"top": 0}), 422)


def test_learning_networks_json_csv_and_view(client: TestClient, api_store: NetworkXStore) -> None:
    want = queries.learning_networks(api_store, "Ulm", radius_km=40)
    body = client.get("/learning-networks", params={"region": "Ulm", "radius_km": 40}).json()
    assert [g["members"] for g in body["groups"]] == list(want.groups["members"])
    assert len(body["members"]) == len(want.members) and len(body["unassigned"]) == len(want.unassigned)
    assert body["stability"] == pytest.approx(want.stability)
    assert all(3 <= len(g["members"]) <= 12 for g in body["groups"])
    assert all(g["max_member_km"] <= 40 and g["max_hub_km"] <= 40 for g in body["groups"])
    assert all(u["reason_code"] and u["reason"] for u in body["unassigned"])
    small = client.get(
        "/learning-networks", params={"region": "Ulm", "radius_km": 40, "max_size": 4, "min_size": 2,
                                      "min_evidence": "registered"},
    ).json()  # fmt: skip
    want_small = queries.learning_networks(api_store, "Ulm", radius_km=40, max_size=4, min_size=2,
                                           min_evidence="registered")  # fmt: skip
    assert [g["members"] for g in small["groups"]] == list(want_small.groups["members"])
    assert_error(client.get("/learning-networks", params={"region": "Ulm", "min_size": 0}), 422)
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/learning-networks", params={"region": "Ulm", "radius_km": 40, "format": "csv"}
                ).text
            )
        )
    )
    assert [r["ags"] for r in rows] == list(want.members["ags"])  # fmt: skip
    view = client.get("/learning-networks/view", params={"region": "Ulm", "radius_km": 40})
    assert view.status_code == 200 and view.headers["content-type"].startswith("text/html")
    page = view.text
    assert "Datenlizenz Deutschland" in page and "<html" in page.lower()
    assert not re.search(r"<script[^>]+src=[\"']https?://", page)
    assert_error(client.get("/learning-networks/view", params={"region": "Neustadt"}), 409, "ambiguous")


def test_white_spots_with_district_aggregation(client: TestClient, api_store: NetworkXStore) -> None:
    want = queries.white_spots(api_store, "mobility", 30)
    by = queries.white_spots_by_district(api_store, "mobility", 30)
    body = client.get("/white-spots", params={"topic": "mobility", "radius_km": 30, "limit": 1000}).json()
    assert body["total"] == len(want) > 0
    assert [r["ags"] for r in body["items"]] == list(want["ags"])
    assert [d["district_key"] for d in body["by_district"]] == list(by["district_key"])
    # the Kreis aggregation counts Gemeinden; Kreise/Verbände with evidence of their own are rows of their level
    assert sum(d["municipalities"] for d in body["by_district"]) == int((want["level"] == "gemeinde").sum())
    assert (want["level"] != "gemeinde").any()
    # restricted to a region (within radius_km of it), counting registered-or-stronger evidence only
    opts = {"region": "Bayern", "min_evidence": "registered"}
    want = queries.white_spots(api_store, "mobility", 30, **opts)
    body = client.get(
        "/white-spots", params={"topic": "mobility", "radius_km": 30, "limit": 1000, **opts}
    ).json()
    assert [r["ags"] for r in body["items"]] == list(want["ags"]) and 0 < len(want) < body["total"] + 1
    assert_error(client.get("/white-spots", params={"topic": "mobility", "region": "Neustadt"}), 409)


def test_event_plans(client: TestClient, api_store: NetworkXStore) -> None:
    want = queries.plan_events(api_store, "mobility", 2, 50)
    body = client.get("/event-plans", params={"topic": "mobility", "k": 2, "radius_km": 50}).json()
    assert [h["project_id"] for h in body["hosts"]] == list(want.hosts["project_id"])
    assert 1 <= len(body["hosts"]) <= 2
    assert len(body["coverage"]) == body["hosts"][-1]["covered_total"]
    geo = client.get("/event-plans", params={"topic": "mobility", "k": 2, "format": "geojson"}).json()
    assert len(geo["features"]) == len(body["hosts"])
    assert_error(client.get("/event-plans", params={"topic": "mobility", "k": 0}), 422)
    opts = {"region": "07137", "min_evidence": "attended"}
    want = queries.plan_events(api_store, "mobility", 2, 50, **opts)
    body = client.get("/event-plans", params={"topic": "mobility", "k": 2, "radius_km": 50, **opts}).json()
    assert [h["project_id"] for h in body["hosts"]] == list(want.hosts["project_id"])
    assert [c["ags"] for c in body["coverage"]] == list(want.coverage["ags"])
    assert body["params"]["region"]["key"] == "07137"


def test_connections(client: TestClient, api_store: NetworkXStore) -> None:
    want = queries.connections(api_store, "luebeck", "bamberg")
    body = client.get("/connections", params={"a": "luebeck", "b": "bamberg"}).json()
    assert body["a"]["key"] == "luebeck" and body["b"]["key"] == "bamberg"
    assert [t["type"] for t in body["ties"]] == list(want.ties["type"]) and body["ties"]
    assert len(body["paths"]) == len(want.paths)
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/connections", params={"a": "luebeck", "b": "bamberg", "format": "csv"}).text
            )
        )
    )
    assert [r["connection"] for r in rows] == list(want.to_frame()["connection"])  # fmt: skip
    assert_error(client.get("/connections", params={"a": "ulm", "b": "ulm"}), 422, "invalid_argument")
    assert_error(client.get("/connections", params={"a": "Bayern", "b": "ulm"}), 422, "invalid_argument")


# ---------------------------------------------------------------------------- imports


IMPORT_CSV = (
    b"municipality,land,topics,kind,date,source\n"
    b"Blaustein,BW,strategy-development;mobility,registered,2024-05-07,kts-api-test\n"
    b"Neustadt,,mobility,registered,2024-05-07,kts-api-test\n"
    b"Atlantis-upon-Sea,,mobility,survey,2024-05-07,kts-api-test\n"
)


@pytest.fixture(scope="module")
def pristine_snapshot(graph_data: GraphData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of register + programme, written once; each import test copies it."""
    path = tmp_path_factory.mktemp("pristine") / "graph.pickle"
    NetworkXStore(path).replace(graph_data)
    return path


@pytest.fixture
def fresh(pristine_snapshot: Path, tmp_path: Path) -> Iterator[tuple[TestClient, NetworkXStore, Settings]]:
    """An app on a fresh store copy with its own snapshot (imports write to it)."""
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    shutil.copyfile(pristine_snapshot, settings.snapshot_path)
    store = NetworkXStore(settings.snapshot_path)
    with TestClient(create_app(settings, store)) as c:
        yield c, store, settings


def upload(c: TestClient, content: bytes, *, name: str = "registrations.csv", token: str | None = TOKEN,
           **params: Any) -> Any:  # fmt: skip
    """POST a file to the import endpoint."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return c.post("/imports/participation", files={"file": (name, content)}, headers=headers, params=params)


def test_import_needs_a_token(fresh: tuple[TestClient, NetworkXStore, Settings]) -> None:
    c, store, _ = fresh
    before = counts(store)
    err = assert_error(upload(c, IMPORT_CSV, token=None), 401, "unauthorized")
    assert "Bearer" in err["hint"]
    assert upload(c, IMPORT_CSV, token=None).headers["www-authenticate"] == "Bearer"
    assert_error(upload(c, IMPORT_CSV, token="wrong-token"), 403, "forbidden")
    bad_scheme = c.post("/imports/participation", files={"file": ("x.csv", IMPORT_CSV)},
                        headers={"Authorization": f"Basic {TOKEN}"})  # fmt: skip
    assert_error(bad_scheme, 401)
    assert counts(store) == before


def test_import_is_off_without_a_configured_token(graph_data: GraphData, tmp_path: Path) -> None:
    store = NetworkXStore(None)
    store.replace(graph_data)
    with TestClient(create_app(make_settings(tmp_path, token=""), store)) as c:
        before = counts(store)
        err = assert_error(upload(c, IMPORT_CSV, token="anything"), 503, "auth_not_configured")
        assert "LERNNETZ_API_TOKEN" in err["hint"]
        assert counts(store) == before


def test_oversized_upload_is_413(fresh: tuple[TestClient, NetworkXStore, Settings]) -> None:
    c, store, settings = fresh
    before = counts(store)
    big = IMPORT_CSV + b"Blaustein,BW,mobility,registered,2024-05-07,x\n" * 500_000  # > 20 MB
    assert len(big) > 20 * 1024 * 1024
    err = assert_error(upload(c, big), 413, "payload_too_large")
    assert "20 MB" in err["detail"]
    assert counts(store) == before
    assert not (settings.data_dir / "participation_ledger.csv").exists()


def test_chunked_oversized_upload_is_413(fresh: tuple[TestClient, NetworkXStore, Settings]) -> None:
    c, store, _ = fresh
    before = counts(store)
    boundary = "lernnetzboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()  # fmt: skip

    def body() -> Iterator[bytes]:  # no Content-Length: the server must count
        yield head
        for _ in range(22):
            yield b"x" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    resp = c.post(
        "/imports/participation",
        content=body(),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert_error(resp, 413, "payload_too_large")
    assert counts(store) == before


def test_malformed_upload_is_422_and_changes_nothing(
    fresh: tuple[TestClient, NetworkXStore, Settings],
) -> None:
    c, store, settings = fresh
    before = counts(store)
    err = assert_error(upload(c, b"foo,bar\n1,2\n", name="bad.csv"), 422, "invalid_input")
    assert "bad.csv" in err["detail"] and "lernnetz-upload" not in err["detail"]
    assert_error(upload(c, b"\x50\x4b\x03\x04 truncated zip", name="broken.xlsx"), 422, "invalid_input")
    assert_error(upload(c, b"", name="empty.csv"), 422, "invalid_input")
    err = assert_error(upload(c, IMPORT_CSV, name="registrations.txt"), 422, "invalid_request")
    assert ".csv" in err["hint"]
    no_file = c.post("/imports/participation", data={"other": "x"}, files={"notfile": ("a.csv", b"x")},
                     headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert_error(no_file, 422, "invalid_request")
    not_multipart = c.post("/imports/participation", content=IMPORT_CSV,
                           headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/csv"})  # fmt: skip
    assert_error(not_multipart, 400, "bad_request")
    assert counts(store) == before
    assert not (settings.data_dir / "participation_ledger.csv").exists()


def test_dry_run_reports_and_writes_nothing(fresh: tuple[TestClient, NetworkXStore, Settings]) -> None:
    c, store, settings = fresh
    before = counts(store)
    resp = upload(c, IMPORT_CSV, dry_run="true")
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["dry_run"] is True and report["file"] == "registrations.csv"
    assert report["rows_read"] == 3 and report["ambiguous"] == 1 and report["unmatched"] == 1
    assert report["edges_new"] == 2
    assert counts(store) == before
    assert not (settings.data_dir / "participation_ledger.csv").exists()


def test_import_adds_edges_once_and_answers_change(fresh: tuple[TestClient, NetworkXStore, Settings]) -> None:
    c, store, settings = fresh
    before_detail = c.get("/municipalities/08425141").json()  # cached before the import
    assert before_detail["interests"] == []
    nodes0, edges0 = counts(store)
    report = upload(c, IMPORT_CSV).json()
    assert report["dry_run"] is False and report["edges_new"] == 2
    assert {(r["row"], r["column"]) for r in report["rejected"]} >= {(3, "municipality"), (4, "municipality")}
    nodes1, edges1 = counts(store)
    assert nodes1 == nodes0 and edges1["INTERESTED_IN"] == edges0["INTERESTED_IN"] + 2
    after = c.get("/municipalities/08425141").json()
    assert sorted(i["topic"] for i in after["interests"]) == ["mobility", "strategy-development"]
    assert {i["source"] for i in after["interests"]} == {"kts-api-test"}
    hits = c.get("/matches", params={"region": "Ulm", "radius_km": 20}).json()
    assert "08425141" in {r["ags"] for r in hits["items"]}
    again = upload(c, IMPORT_CSV).json()  # idempotent
    assert again["edges_new"] == 0
    assert counts(store) == (nodes1, edges1)
    assert (settings.data_dir / "participation_ledger.csv").exists()
    # persisted: a new store from the snapshot sees the edges
    assert len(NetworkXStore(settings.snapshot_path).interests(ags=["08425141"])) == 2


def test_import_xlsx(fresh: tuple[TestClient, NetworkXStore, Settings]) -> None:
    import openpyxl

    c, store, _ = fresh
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for line in IMPORT_CSV.decode().strip().splitlines():
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(c, buf.getvalue(), name="Anmeldungen.xlsx")
    assert resp.status_code == 200, resp.text
    assert resp.json()["edges_new"] == 2 and resp.json()["file"] == "Anmeldungen.xlsx"
    assert len(store.interests(ags=["08425141"])) == 2
