"""What one ``/matches`` page costs the API process, without HTTP: the answer computed and its
JSON page rendered, over the 400 regions of ``bench_api.py`` (50 km, page of 100, in the same
order as the load generator sends them).

Run: ``python benchmarks/bench_pages.py [--data ../shared/data] [--rounds 5]``.

Two ways, alternated round by round in this one process (same store, same context):

* ``frame`` (the baseline): ``matches()`` → its DataFrame → ``page`` → rows → orjson, what the
  API did before it paged the analytic's rows;
* ``rows``: ``match_rows()`` → ``page`` → orjson, what ``GET /matches`` does now (the frame is
  made only for CSV, Excel and GeoJSON).

Both must give the same bytes for every region (checked first). Printed per way: the median
over rounds of the mean CPU time (``time.process_time``) and wall time per page, and the ratio
frame / rows. The first pass over the regions (the context's kept areas, distances and topic
parts being filled) is not timed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_api  # noqa: E402

from lernnetz.api.cache import Rendered  # noqa: E402
from lernnetz.api.render import _render, page  # noqa: E402
from lernnetz.graph import analytics as Q  # noqa: E402
from lernnetz.graph.store.nx_store import NetworkXStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "graph.pickle"
        regions = bench_api.build_snapshot(Path(args.data), snap, 10_000)
        store = NetworkXStore(snap)

        def frame_page(region: str) -> Rendered:
            return _render(lambda: page(Q.matches(store, region, 50.0), 100, 0), None, "json", "", True)

        def rows_page(region: str) -> Rendered:
            return _render(lambda: page(Q.match_rows(store, region, 50.0), 100, 0), None, "json", "", True)

        ways: dict[str, Callable[[str], Rendered]] = {"frame": frame_page, "rows": rows_page}
        for r in regions:  # the first pass fills what the context keeps; and the bytes must agree
            assert frame_page(r).body == rows_page(r).body, r
        cpu: dict[str, list[float]] = {w: [] for w in ways}
        wall: dict[str, list[float]] = {w: [] for w in ways}
        for _ in range(args.rounds):
            for name, fn in ways.items():
                c0, t0 = time.process_time(), time.perf_counter()
                for r in regions:
                    fn(r)
                cpu[name].append((time.process_time() - c0) / len(regions) * 1000)
                wall[name].append((time.perf_counter() - t0) / len(regions) * 1000)
    print(f"/matches page, 400 regions, 50 km, page of 100; median of {args.rounds} rounds (alternated)")
    print(f"{'way':<8} {'CPU ms/page':>12} {'wall ms/page':>13}")
    for name in ways:
        print(f"{name:<8} {statistics.median(cpu[name]):>12.3f} {statistics.median(wall[name]):>13.3f}")
    ratio = statistics.median(cpu["frame"]) / statistics.median(cpu["rows"])
    print(f"frame / rows (CPU): {ratio:.2f}×; the same bytes for all {len(regions)} regions")


if __name__ == "__main__":
    main()
