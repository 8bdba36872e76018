"""Issue 16, the API under abuse: a token sent in the query string is never logged verbatim."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lernnetz.api.main import create_app
from lernnetz.api.redact import mask_query
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore

SECRET = "s3cr3t-T0ken-9f2a"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (f"token={SECRET}", "token=***"),
        (f"access_token={SECRET}&region=Ulm", "access_token=***&region=Ulm"),
        (f"region=Ulm&Token={SECRET}&radius_km=5", "region=Ulm&Token=***&radius_km=5"),
        (f"%74oken={SECRET}", "%74oken=***"),  # the name percent-encoded
        (
            f"access-token={SECRET}&api_key={SECRET}&password={SECRET}",
            "access-token=***&api_key=***&password=***",
        ),
        ("region=Ulm&limit=5", "region=Ulm&limit=5"),
        ("token", "token"),
        ("", ""),
    ],
)
def test_mask_query(raw: str, masked: str) -> None:
    assert mask_query(raw) == masked


def test_a_token_in_the_query_string_is_never_logged(
    nx_store: NetworkXStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(LERNNETZ_DATA_DIR=str(tmp_path), LERNNETZ_API_TOKEN=SECRET)
    with TestClient(create_app(settings, nx_store)) as client, caplog.at_level(logging.DEBUG):
        assert client.get(f"/health?token={SECRET}").status_code == 200
        client.get(f"/municipalities/08421000?access_token={SECRET}")
        client.get(f"/municipalities?state=XX&token={SECRET}")  # an error path (404) logs too
        client.post(f"/imports/participation?token={SECRET}")  # refused: the token belongs in a header
    # every server-side record (the test client's own httpx log line is not the server's)
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any("GET /health?token=*** 200" in line for line in lines), lines
    assert any("access_token=***" in line for line in lines), lines
    assert not [line for line in lines if SECRET in line]
