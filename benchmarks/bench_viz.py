"""Viz benchmark: how fast the interactive pages render in headless Chromium (issue 7).

Run: ``python benchmarks/bench_viz.py [--data ../shared/data] [--repeat 7]`` from the repo root.

Cases, each rendered ``--repeat`` times in a fresh tab of one headless Chromium, offline:

1. the learning network around Ulm with a 30 km radius (``lernnetz.graph.analytics.learning_networks``
   on register + programme + 10,000 synthetic participation rows, seed 7). Target: rendered
   in < 2 s.
2. a ~2,000-node subgraph (the 2,000 Gemeinden nearest to Mainz plus their projects), which
   must stay usable: physics off, render time, and the cost of one redraw (a pan/zoom frame)
   at the fitted view and zoomed in 3× (labels drawn); for comparison the same page with
   physics switched on.

Columns: ``page_ms`` = ``performance.now()`` when vis-network finished its first frame (from
navigation start: parse of the inlined 0.9 MB page, data set-up, first draw); ``wall_ms`` =
from the DevTools ``Page.navigate`` call until the page reported "rendered" (what a user
waits); ``frame_ms`` = one synchronous ``network.redraw()``; ``build_s`` = Python time to
build the HTML. Medians over the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lernnetz.graph.model import GraphData  # noqa: E402
from lernnetz.graph.pictures.network import write_network_html  # noqa: E402
from lernnetz.graph.pictures.views import learning_network_html, store_subgraph  # noqa: E402
from lernnetz.graph.settings import CURATED_DIR  # noqa: E402
from lernnetz.graph.store.nx_store import NetworkXStore  # noqa: E402
from lernnetz.loaders.programme import read_programme  # noqa: E402
from lernnetz.loaders.register import read_register  # noqa: E402
from tests.browser_util import Browser  # noqa: E402

FRAME_JS = """
(() => {
  const t = [];
  for (let i = 0; i < 15; i++) { const a = performance.now(); network.redraw(); t.push(performance.now() - a); }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
})()
"""
ZOOM_JS = "network.moveTo({scale: network.getScale() * 3, animation: false}); true"


def measure(browser: Browser, page: Path, repeat: int) -> dict[str, Any]:
    page_ms, wall_ms, frame_fit, frame_zoom = [], [], [], []
    status: dict[str, str] = {}
    errors: list[str] = []
    remote: list[str] = []
    for _ in range(repeat):
        r = browser.render(page, settle_s=0.05)
        status = r.status
        if status.get("state") != "rendered":
            raise SystemExit(f"{page.name}: not rendered: {r.status} {r.errors}")
        errors += r.errors
        remote += r.remote_requests
        page_ms.append(float(status["renderMs"]))
        wall_ms.append(r.wall_ms)
        session = r.extra["session"]
        frame_fit.append(float(browser.evaluate(session, FRAME_JS)))
        browser.evaluate(session, ZOOM_JS)
        frame_zoom.append(float(browser.evaluate(session, FRAME_JS)))
        browser.close_page(session)
    return {
        "nodes": int(status["nodes"]),
        "edges": int(status["edges"]),
        "physics": status["physics"],
        "page_ms": statistics.median(page_ms),
        "wall_ms": statistics.median(wall_ms),
        "wall_max_ms": max(wall_ms),
        "frame_fit_ms": statistics.median(frame_fit),
        "frame_zoom_ms": statistics.median(frame_zoom),
        "errors": len(errors),
        "remote_requests": len(remote),
        "size_mb": page.stat().st_size / 1e6,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    clean = Path(args.data) / "destatis" / "gemeinden_gv_2020-12-31.csv"

    from lernnetz.graph.analytics import learning_networks
    from lernnetz.graph.synthetic import synthetic_participation

    register = read_register(clean)
    programme = read_programme(CURATED_DIR, register)
    rows: list[tuple[str, dict[str, Any], float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = NetworkXStore(Path(tmp) / "graph.pickle")
        store.replace(GraphData(register=register, programme=programme))
        store.add_participation(synthetic_participation(store, n=10_000, seed=7))
        attribution = str(store.info()["attribution"])

        t = time.perf_counter()
        result = learning_networks(store, "Ulm", radius_km=30.0)
        query_s = time.perf_counter() - t
        t = time.perf_counter()
        ulm_page = Path(tmp) / "ulm_30km.html"
        learning_network_html(result, ulm_page, attribution=attribution)
        ulm_build = time.perf_counter() - t

        near = store.near(["07315000"], 100.0).head(2000)
        G = store_subgraph(store, list(near["ags"]))
        t = time.perf_counter()
        big_page = write_network_html(
            G, Path(tmp) / "mainz_2000.html", title="2,000", attribution=attribution
        )
        big_build = time.perf_counter() - t
        physics_page = write_network_html(
            G,
            Path(tmp) / "mainz_2000_physics.html",
            title="2,000 physics",
            attribution=attribution,
            physics=True,
        )

        with Browser(width=1280, height=900) as browser:
            browser.render(ulm_page)  # warm-up: first start of the renderer process
            rows.append(("learning network Ulm 30 km", measure(browser, ulm_page, args.repeat), ulm_build))
            rows.append(("subgraph ~2,000 nodes (Mainz)", measure(browser, big_page, args.repeat), big_build))
            # for comparison only: the same graph with vis physics on (300 stabilisation steps)
            rows.append(
                ("  same, physics on", measure(browser, physics_page, max(2, args.repeat // 3)), big_build)
            )

    print(f"learning_networks(Ulm, 30 km): {query_s * 1000:.0f} ms in Python; groups={len(result.groups)}")
    head = (
        f"{'case':<32}{'nodes':>7}{'edges':>7}{'MB':>6}{'build_s':>9}{'page_ms':>9}{'wall_ms':>9}"
        f"{'wall_max':>9}{'frame_fit':>10}{'frame_zoom':>11}{'physics':>9}{'errors':>7}{'remote':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, m, build in rows:
        print(
            f"{name:<32}{m['nodes']:>7}{m['edges']:>7}{m['size_mb']:>6.2f}{build:>9.2f}{m['page_ms']:>9.0f}"
            f"{m['wall_ms']:>9.0f}{m['wall_max_ms']:>9.0f}{m['frame_fit_ms']:>10.1f}{m['frame_zoom_ms']:>11.1f}"
            f"{m['physics']:>9}{m['errors']:>7}{m['remote_requests']:>7}"
        )
    ulm = rows[0][1]
    verdict = "PASS" if ulm["wall_ms"] < 2000 else "FAIL"
    print(f"\ntarget: Ulm 30 km rendered in < 2 s (median wall) → {ulm['wall_ms']:.0f} ms  {verdict}")
    big = rows[1][1]
    print(
        f"2,000-node graph: physics {big['physics']}, rendered in {big['wall_ms']:.0f} ms, "
        f"a redraw takes {big['frame_fit_ms']:.1f} ms (fitted) / {big['frame_zoom_ms']:.1f} ms (zoomed 3×)"
    )


if __name__ == "__main__":
    main()
