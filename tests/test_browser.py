"""A real browser opens the generated page offline and draws the whole network.

Headless Chromium (Debian's ``chromium``; ``.ci/run`` installs it) is driven over the
DevTools pipe (tests/browser_util.py) with the network switched off. The test fails — it does
not skip — when Chromium is missing. Screenshots go to ``artifacts/`` at the repository root
(gitignored; CI keeps them as artefacts).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from lernnetz.graph.pictures.network import learning_network_html, store_subgraph, write_network_html
from lernnetz.graph.store.nx_store import NetworkXStore
from tests import viz_fixtures
from tests.browser_util import Browser, chromium_path

pytestmark = pytest.mark.browser
demo_store = viz_fixtures.demo_store
learning_result = viz_fixtures.learning_result

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ATTRIBUTION = "© Statistisches Bundesamt (Destatis), Gemeindeverzeichnis; dl-de/by-2-0"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert chromium_path() is not None, "headless Chromium is required (apt-get install chromium)"
    with Browser(width=1280, height=900) as b:
        yield b


def _not_blank(png: Path) -> float:
    """Share of pixels that are not (near) white."""
    from matplotlib.image import imread

    img = imread(png)[..., :3]
    return float(np.mean(img.min(axis=2) < 0.9))


def test_learning_network_renders_offline(
    browser: Browser, learning_result: Any, demo_store: NetworkXStore, tmp_path: Path
) -> None:
    G: nx.Graph = learning_result.to_graph()
    page = tmp_path / "learning_network_ulm_30km.html"
    learning_network_html(learning_result, page, attribution=str(demo_store.info()["attribution"]))
    shot = ARTIFACTS / "learning_network_ulm_30km.png"
    shot.unlink(missing_ok=True)
    report = browser.render(page, screenshot=shot)

    assert report.status.get("state") == "rendered", report
    assert int(report.status["nodes"]) == G.number_of_nodes() > 0
    assert int(report.status["drawnNodes"]) == G.number_of_nodes()
    assert int(report.status["edges"]) == G.number_of_edges()
    width, height = (int(v) for v in report.status["canvas"].split("x"))
    assert width > 800 and height > 500
    assert report.status["physics"] == "false"
    assert report.errors == [], report.errors
    assert report.remote_requests == [], report.remote_requests
    assert report.requests == [page.resolve().as_uri()]  # the page itself, nothing else
    assert shot.stat().st_size > 10_000
    assert _not_blank(shot) > 0.01  # something was drawn


def test_large_subgraph_renders_with_physics_off(
    browser: Browser, nx_store: NetworkXStore, tmp_path: Path
) -> None:
    """About 2,000 nodes (the 2,000 Gemeinden nearest to Mainz and their projects) stay usable."""
    near = nx_store.near(["07315000"], 100.0).head(2000)
    assert len(near) == 2000
    G = store_subgraph(nx_store, list(near["ags"]))
    assert G.number_of_nodes() >= 2000
    page = write_network_html(
        G, tmp_path / "mainz_2000.html", title="2,000 Gemeinden um Mainz", attribution=ATTRIBUTION
    )
    report = browser.render(page, screenshot=ARTIFACTS / "subgraph_2000_nodes.png")
    assert report.status.get("state") == "rendered", report
    assert int(report.status["nodes"]) == G.number_of_nodes() == int(report.status["drawnNodes"])
    assert report.status["physics"] == "false"
    assert report.errors == []
    assert report.remote_requests == []
    assert float(report.status["renderMs"]) < 20_000  # generous bound; the benchmark measures it


def test_the_harness_notices_remote_scripts_and_errors(browser: Browser, tmp_path: Path) -> None:
    """A page that needs the web (as pyvis's own output does) fails these checks."""
    page = tmp_path / "cdn.html"
    page.write_text(
        '<!DOCTYPE html><html><head><script src="https://unpkg.com/vis-network/standalone/umd/vis-network.min.js">'
        '</script></head><body><div id="lernnetz-status"></div>'
        "<script>new vis.Network(document.body, {}, {});</script></body></html>",
        encoding="utf-8",
    )
    report = browser.render(page, timeout=2)
    assert report.status.get("state") != "rendered"
    assert report.remote_requests == ["https://unpkg.com/vis-network/standalone/umd/vis-network.min.js"]
    assert any("vis is not defined" in e for e in report.errors)
