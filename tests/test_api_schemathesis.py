"""schemathesis against the app's own OpenAPI document: no 5xx, every response matches its schema.

Bounded: at most 10 generated examples per operation and phase (plus the spec's explicit
examples). The app runs in-process over ASGI on its own store (the real register and
programme data plus seeded synthetic participation), so the requests get real answers; the
same cases run against an app on Neo4j loaded with the same data (marked ``neo4j``). Each app
counts the requests it answered and its 5xx (printed with ``-s``).

The schema is loaded at import time (``schemathesis.pytest.from_fixture`` does not work with
pytest 9's nodes), so this module builds its store itself from the same files as the fixtures.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from neo4j import Driver

from lernnetz.api.main import create_app
from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import CURATED_DIR, Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.graph.synthetic import synthetic_participation
from lernnetz.loaders.programme import read_programme
from lernnetz.loaders.register import read_register
from tests.conftest import CLEAN_CSV

MAX_EXAMPLES = 10


class Counting:
    """ASGI wrapper: how many requests the app answered, and how many with a 5xx."""

    def __init__(self, app: Any, name: str) -> None:
        self.app, self.name = app, name
        self.requests = self.server_errors = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1

        async def counting_send(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 500:
                self.server_errors += 1
            await send(message)

        await self.app(scope, receive, counting_send)

    def summary(self) -> str:
        return f"schemathesis on {self.name}: {self.requests} requests, {self.server_errors} with 5xx"


def _data() -> GraphData:
    register = read_register(CLEAN_CSV)
    data = GraphData(register=register, programme=read_programme(CURATED_DIR, register))
    base = NetworkXStore(None)
    base.replace(data)
    data.participation = synthetic_participation(base, n=3000, seed=7)
    return data


def _settings() -> Settings:
    return Settings(
        LERNNETZ_DATA_DIR=tempfile.mkdtemp(prefix="lernnetz-schemathesis-"),
        LERNNETZ_API_TOKEN="schemathesis-token",
    )


DATA = _data()
_STORE = NetworkXStore(None)
_STORE.replace(DATA)
APP = Counting(create_app(_settings(), _STORE), "networkx")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=MAX_EXAMPLES)


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    print(f"\n{APP.summary()}")
    assert APP.server_errors == 0, APP.summary()


@pytest.fixture(scope="module")
def neo4j_app(neo4j_driver: Driver) -> Iterator[Counting]:
    """The same app on Neo4j loaded with the same data."""
    from lernnetz.graph.store.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_driver)
    store.wipe()
    store.replace(DATA)
    app = Counting(create_app(_settings(), store), "neo4j")
    yield app
    print(f"\n{app.summary()}")
    assert app.server_errors == 0, app.summary()


@schema.parametrize()
def test_api_conforms_to_its_openapi(case: schemathesis.Case) -> None:
    case.call_and_validate()


@pytest.mark.neo4j
@schema.parametrize()
def test_api_conforms_to_its_openapi_on_neo4j(case: schemathesis.Case, neo4j_app: Counting) -> None:
    case.call_and_validate(app=neo4j_app)
