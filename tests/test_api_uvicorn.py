"""A real server: `lernnetz serve` (uvicorn, factory=True) on 127.0.0.1, called over HTTP with httpx.

The server runs in a subprocess on a free port, opens the store from a snapshot through
``lernnetz.graph.store.open_store`` (nothing injected), answers, logs every request with timing, and
shuts down cleanly on SIGINT.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lernnetz.graph.model import GraphData
from lernnetz.graph.store.nx_store import NetworkXStore

REPO = Path(__file__).resolve().parents[1]
TOKEN = "uvicorn-test-token-93b1"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(graph_data: GraphData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`lernnetz serve` on a snapshot in a fresh data dir; yields (base URL, log file)."""
    data_dir = tmp_path_factory.mktemp("serve")
    NetworkXStore(data_dir / "graph.pickle").replace(graph_data)
    port = free_port()
    log = data_dir / "server.log"
    env = {
        **os.environ,
        "LERNNETZ_DATA_DIR": str(data_dir),
        "LERNNETZ_BACKEND": "networkx",
        "LERNNETZ_API_TOKEN": TOKEN,
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    cmd = [sys.executable, "-c", "from lernnetz.api.cli import app; app()", "serve", "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"server exited early:\n{log.read_text(errors='replace')}"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server did not come up:\n{log.read_text(errors='replace')}"
            time.sleep(0.2)
        yield base, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_real_server_answers_over_http(server: tuple[str, Path], graph_data: GraphData) -> None:
    base, log = server
    with httpx.Client(base_url=base, timeout=30) as http:
        health = http.get("/health")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok" and body["backend"] == "networkx"
        assert body["nodes"]["Municipality"] == len(graph_data.register.municipalities)
        assert "dl-de/by-2-0" in health.headers["x-data-attribution"]

        ulm = http.get("/municipalities/08421000")
        assert ulm.status_code == 200 and ulm.json()["name"].startswith("Ulm")

        near = http.get("/matches", params={"region": "Ulm", "radius_km": 30})
        assert near.status_code == 200
        page = near.json()
        assert page["total"] == len(page["items"]) or page["total"] > page["limit"]
        assert all(0 <= r["distance_km"] <= 30 for r in page["items"])

        amb = http.get("/matches", params={"region": "Neustadt", "radius_km": 30})
        assert amb.status_code == 409 and len(amb.json()["candidates"]) > 3

        denied = http.post("/imports/participation", files={"file": ("x.csv", b"municipality\nUlm\n")})
        assert denied.status_code == 401 and denied.json()["error"] == "unauthorized"
    text = log.read_text(errors="replace")
    assert "GET /health 200" in text and "GET /matches?region=Ulm&radius_km=30 200" in text
    assert TOKEN not in text


def test_real_server_serves_concurrent_requests(server: tuple[str, Path], graph_data: GraphData) -> None:
    import concurrent.futures

    base, _ = server
    keys = [d.key for d in graph_data.register.districts[:24]]
    want = {k: sum(1 for m in graph_data.register.municipalities if m.district_key == k) for k in keys}

    def total(key: str) -> int:
        resp = http.get(f"{base}/municipalities", params={"district": key, "limit": 5})
        assert resp.status_code == 200, resp.text
        return int(resp.json()["total"])

    with httpx.Client(timeout=30) as http, concurrent.futures.ThreadPoolExecutor(8) as pool:
        got = dict(zip(keys, pool.map(total, keys), strict=True))
    assert got == want
