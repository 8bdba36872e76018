"""A real browser opens the generated page offline and draws the whole network.

Headless Chromium (Debian's ``chromium``; ``.ci/run`` installs it) is driven over the
DevTools pipe (tests/browser_util.py) with the network switched off. The test fails — it does
not skip — when Chromium is missing. Screenshots go to ``artifacts/`` at the repository root
(gitignored; CI keeps them as artefacts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lernnetz.graph.pictures.network import write_network_html
from lernnetz.graph.pictures.views import learning_network_html, store_subgraph
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


#: The three regions of issue 14: (region, radius km, artefact name).
REGIONS = [
    ("Ulm", 30.0, "learning_network_ulm_30km"),
    ("Landkreis Mayen-Koblenz", 40.0, "learning_network_mayen_koblenz_40km"),
    ("Lemgo", 30.0, "learning_network_lemgo_30km"),
]
BOUNDARIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "bkg_vg5000"


def _overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["x"] + b["w"]
                and b["x"] < a["x"] + a["w"]
                and a["y"] < b["y"] + b["h"]
                and b["y"] < a["y"] + a["h"]
            ):
                out.append((a["text"], b["text"]))
    return out


@pytest.mark.parametrize(("region", "radius_km", "name"), REGIONS, ids=[r[2] for r in REGIONS])
def test_learning_network_page_answers_who_meets_whom_offline(
    browser: Browser, demo_store: NetworkXStore, tmp_path: Path, region: str, radius_km: float, name: str
) -> None:
    from lernnetz.graph.analytics import learning_networks

    result = learning_networks(demo_store, region, radius_km=radius_km)
    n_groups = len(result.groups)
    assert n_groups >= 1
    page = tmp_path / f"{name}.html"
    learning_network_html(
        result,
        page,
        attribution=str(demo_store.info()["attribution"]),
        store=demo_store,
        boundaries=BOUNDARIES,
    )
    shot = ARTIFACTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    report = browser.render(page, screenshot=shot)
    session = report.extra["session"]

    assert report.status.get("state") == "rendered", report
    assert report.errors == [], report.errors
    assert report.remote_requests == [], report.remote_requests
    assert report.requests == [page.resolve().as_uri()]  # the page itself, nothing else
    # one colour per group, as many colours as groups
    assert int(report.status["groups"]) == n_groups
    assert int(report.status["groupColours"]) == n_groups
    # the hub territory is one node (also when the hub leads several groups): no node per
    # Gemeinde of the territory
    ids = browser.evaluate(session, "lernnetzNetwork.body.data.nodes.getIds()")
    members = result.members[result.members["role"] == "member"]
    assert sum(i.startswith("hub:") for i in ids) == result.groups["hub_project"].nunique()
    assert sum(i.startswith("m:") for i in ids) == len(members)
    # Kreis and Land outlines drawn beneath the nodes
    assert int(report.status["kreise"]) > 0 and int(report.status["laender"]) > 0
    assert int(report.status["territories"]) == n_groups  # each hub's territory as one shaded area
    # labels: readable at the first view, every hub named, none overlapping
    labels = browser.evaluate(session, "window.lernnetzLabels")
    assert len(labels) >= n_groups
    assert {b["id"] for b in labels} >= {i for i in ids if i.startswith("hub:")}
    assert _overlapping(labels) == []
    # names, not AGS keys, wherever a person reads
    texts = browser.evaluate(
        session,
        "document.body.innerText + window.lernnetzLabels.map(b => b.text).join(' ') + "
        "JSON.parse(document.getElementById('lernnetz-data').textContent).nodes.map(n => n.tip).join(' ')",
    )
    assert not re.search(r"\b\d{8}\b", texts), re.findall(r"\b\d{8}\b", texts)[:5]
    assert "rendered" not in browser.evaluate(session, "document.body.innerText")
    # edge text only on hover; reasons in German and English on hover and click
    assert browser.evaluate(session, "lernnetzNetwork.body.data.edges.get().every(e => !e.label)")
    member_id = next(i for i in ids if i.startswith("m:"))
    tip = browser.evaluate(session, f"lernnetzNetwork.body.data.nodes.get({member_id!r}).title.textContent")
    assert "Gemeinsame Themen / shared topics:" in tip and "Gruppe / group" in tip and " km" in tip
    # the filter hides other groups; search finds places
    browser.evaluate(session, "lernnetzFilter('1', '')")
    hidden = browser.evaluate(session, "lernnetzNetwork.body.data.nodes.get().filter(n => n.hidden).length")
    assert hidden > 0 or n_groups == 1
    browser.evaluate(session, "lernnetzFilter('', '')")
    if region == "Ulm":
        hit = browser.evaluate(session, "lernnetzSearch('Blaustein')")
        assert hit is not None and hit["label"].startswith("Blaustein")
    first = str(members.iloc[0]["name"])
    hit = browser.evaluate(session, f"lernnetzSearch({first!r})")
    assert hit is not None and hit["label"] == first
    assert shot.stat().st_size > 10_000
    assert _not_blank(shot) > 0.01


def test_api_docs_render_offline(browser: Browser, nx_store: NetworkXStore) -> None:
    """/docs (Swagger UI) and /redoc come from the package: no CDN, the endpoints are listed."""
    from fastapi.testclient import TestClient

    from lernnetz.api.main import create_app

    base = "http://lernnetz.test"
    with TestClient(create_app(store=nx_store)) as client:

        def serve(url: str) -> tuple[int, str, bytes]:
            if not url.startswith(base + "/"):
                return 503, "text/plain", b"offline"
            r = client.get(url[len(base) :])
            return r.status_code, r.headers.get("content-type", "application/octet-stream"), r.content

        for path, ready, shot in (
            ("/docs", "document.querySelectorAll('.opblock').length > 10", "api_docs_swagger.png"),
            ("/redoc", "document.querySelectorAll('[data-section-id]').length > 10", "api_docs_redoc.png"),
        ):
            report = browser.render_served(base + path, serve, ready=ready, screenshot=ARTIFACTS / shot)
            assert report.status["ready"] == "true", (path, report.requests)
            outside = [u for u in report.requests if not u.startswith((base + "/", "data:", "blob:"))]
            assert outside == [], outside
            assert report.exceptions == []
            text = browser.evaluate(report.extra["session"], "document.body.innerText")
            assert "/municipalities" in text or "municipalities" in text.lower()


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
