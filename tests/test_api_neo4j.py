"""The API on a Neo4j store that is down at start, or stops and comes back while serving."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lernnetz.api.main import create_app
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.neo4j_store import Neo4jStore
from lernnetz.loaders.records import Register
from tests.neo4j_fixtures import ScratchServer, free_port, make_driver
from tests.test_neo4j_faults import SAARBRUECKEN, land_data

pytestmark = pytest.mark.neo4j


def neo4j_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, uri: str) -> Settings:
    monkeypatch.setenv("LERNNETZ_BACKEND", "neo4j")
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("LERNNETZ_DATA_DIR", str(tmp_path / "cache"))
    return Settings()


def assert_error_body(body: dict[str, object], code: str) -> None:
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert "hint" in body


def test_neo4j_unreachable_at_start_health_says_so_and_data_endpoints_503(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = neo4j_settings(monkeypatch, tmp_path, f"bolt://127.0.0.1:{free_port()}")
    with TestClient(create_app(settings)) as client:
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "unavailable"
        for path in (f"/municipalities/{SAARBRUECKEN}", "/projects", "/matches?region=Ulm&radius_km=10"):
            r = client.get(path)
            assert r.status_code == 503, (path, r.text)
            assert_error_body(r.json(), "store_unavailable")


def test_neo4j_stopped_while_the_api_runs_then_started_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, register: Register, scratch_server: ScratchServer
) -> None:
    server = scratch_server
    server.ensure_started()  # shared with the other restart test; left running
    driver = make_driver(server.uri)
    try:
        Neo4jStore(driver, uri=server.uri).replace(land_data(register, None, "10"))
    finally:
        driver.close()
    settings = neo4j_settings(monkeypatch, tmp_path, server.uri)
    with TestClient(create_app(settings)) as client:
        ok = client.get(f"/municipalities/{SAARBRUECKEN}")
        assert ok.status_code == 200, ok.text
        assert client.get("/health").json()["status"] != "unavailable"

        server.stop()
        down = client.get(f"/municipalities/{SAARBRUECKEN}")
        assert down.status_code == 503, down.text
        assert_error_body(down.json(), "store_unavailable")
        assert client.get("/health").json()["status"] == "unavailable"

        server.start()  # same folder: the data survived; the API was not restarted
        again = client.get(f"/municipalities/{SAARBRUECKEN}")
        assert again.status_code == 200, again.text
        assert again.json() == ok.json()
