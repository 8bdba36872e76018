"""schemathesis against the app's own OpenAPI document: no 5xx, every response matches its schema.

Bounded: at most 10 generated examples per operation and phase (plus the spec's explicit
examples). The app runs in-process over ASGI on its own store (the real register and
programme data plus seeded synthetic participation), so the requests get real answers.

The schema is loaded at import time (``schemathesis.pytest.from_fixture`` does not work with
pytest 9's nodes), so this module builds its store itself from the same files as the fixtures.
"""

from __future__ import annotations

import tempfile

import schemathesis

from lernnetz.api.main import create_app
from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import CURATED_DIR, Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.graph.synthetic import synthetic_participation
from lernnetz.loaders.programme import read_programme
from lernnetz.loaders.register import read_register
from tests.conftest import CLEAN_CSV

MAX_EXAMPLES = 10


def _app() -> object:
    register = read_register(CLEAN_CSV)
    data = GraphData(register=register, programme=read_programme(CURATED_DIR, register))
    base = NetworkXStore(None)
    base.replace(data)
    data.participation = synthetic_participation(base, n=3000, seed=7)
    store = NetworkXStore(None)
    store.replace(data)
    settings = Settings(
        LERNNETZ_DATA_DIR=tempfile.mkdtemp(prefix="lernnetz-schemathesis-"),
        LERNNETZ_API_TOKEN="schemathesis-token",
    )
    return create_app(settings, store)


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=MAX_EXAMPLES)


@schema.parametrize()
def test_api_conforms_to_its_openapi(case: schemathesis.Case) -> None:
    case.call_and_validate()
