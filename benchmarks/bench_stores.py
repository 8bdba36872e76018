"""NetworkX and Neo4j side by side, in one run, on the same data.

Run: ``python benchmarks/bench_stores.py [--uri bolt://127.0.0.1:7687] [--n 200]``.
Without ``--uri`` (or ``NEO4J_URI``) the script starts the throw-away server of
``.ci/neo4j`` on 127.0.0.1:7687 and stops it at the end. The Neo4j database is wiped.

Data: the official register (``../shared/data``, 11,004 Satzart-60 records), the curated
programme in ``data/`` and 10,000 synthetic interest edges (``lernnetz.graph.synthetic``, seed 7,
``attendance_share=0``, labelled ``source=synthetic``) — the set-up of
``benchmarks/bench_matches.py``.

Measured, for each store:

* **full load**: ``store.replace(data)`` of everything above (NetworkX: graph + snapshot
  file; Neo4j: a new generation written in ``UNWIND`` batches, indexes awaited, switched,
  the old generation deleted). Neo4j is loaded into an empty (wiped) database first
  ("empty db"; on a freshly started server this is also the JVM's cold start) and then
  again ("replacing": a loaded graph is replaced, its old generation deleted).
* **lookup**: ``municipalities(["08421000"])`` (one Gemeinde by AGS).
* **near**: ``near(["08421000"], 50)`` (Ulm, 50 km).
* **matches**: ``lernnetz.graph.analytics.matches(store, "08421000", 50, topics=["mobility"])``.

Each query is first called ``--warmup`` times untimed (the JVM compiles hot paths), then
timed ``--n`` times (p50 and p99 in ms); the
results of both stores are checked to be equal. Targets (issue 6): Neo4j full load
≤ 30 s, Neo4j ``matches`` p50 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_matches  # noqa: E402

from lernnetz.graph import analytics as Q  # noqa: E402
from lernnetz.graph.model import GraphData  # noqa: E402
from lernnetz.graph.store.neo4j_store import Neo4jStore  # noqa: E402
from lernnetz.graph.store.nx_store import NetworkXStore  # noqa: E402
from tests.neo4j_fixtures import make_driver  # noqa: E402
from tests.neo4j_util import DEFAULT_URI, start_server, stop_server, wait_ready  # noqa: E402

ULM, RADIUS, TOPIC = "08421000", 50.0, "mobility"


def timed(fn: Callable[[], Any], n: int, warmup: int) -> tuple[float, float, Any]:
    """p50 and p99 in ms over n calls, after ``warmup`` untimed calls (at least one)."""
    for _ in range(max(1, warmup)):
        out = fn()
    times = []
    gc.collect()
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.99 * (len(times) - 1)))], out


def seconds(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--uri", default=os.environ.get("NEO4J_URI", ""))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=100, help="untimed calls per query first (JIT warm-up)")
    args = ap.parse_args()

    data = bench_matches.interest_graph(args.data)

    started_server = not args.uri
    uri = args.uri or DEFAULT_URI
    if started_server:
        print(f"starting Neo4j on {uri} (.ci/neo4j/start.sh) ...", flush=True)
        start_server(7687)
    try:
        wait_ready(uri)
        return run(data, uri, args.n, args.warmup, len(data.participation))
    finally:
        if started_server:
            stop_server()


def run(data: GraphData, uri: str, n: int, warmup: int, n_interests: int) -> int:
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        nx = NetworkXStore(Path(tmp) / "graph.pickle")
        nx_load = seconds(lambda: nx.replace(data))
        driver = make_driver(uri)
        try:
            neo = Neo4jStore(driver, uri=uri)
            neo.wipe()
            neo_cold = seconds(lambda: neo.replace(data))
            neo_warm = seconds(lambda: neo.replace(data))
            info = neo.info()
            print(
                f"graph: {sum(info['nodes'].values()):,} nodes, {sum(info['edges'].values()):,} relationships "
                f"({n_interests:,} synthetic interests); {n} timed calls per query after {warmup} untimed\n"
            )
            rows.append(
                ("full load, empty db (s)", f"{nx_load:.2f}", f"{neo_cold:.2f}", f"{neo_cold / nx_load:.1f}×")
            )
            rows.append(
                (
                    "full load, replacing (s)",
                    f"{nx_load:.2f}",
                    f"{neo_warm:.2f}",
                    f"{neo_warm / nx_load:.1f}×",
                )
            )

            queries: list[tuple[str, Callable[[Any], Any]]] = [
                ("lookup one AGS", lambda s: s.municipalities([ULM])),
                (f"near Ulm {RADIUS:.0f} km", lambda s: s.near([ULM], RADIUS)),
                (f"matches Ulm {RADIUS:.0f} km {TOPIC}", lambda s: Q.matches(s, ULM, RADIUS, topics=[TOPIC])),
            ]
            for label, q in queries:
                a50, a99, a = timed(lambda q=q: q(nx), n, warmup)  # type: ignore[misc]
                b50, b99, b = timed(lambda q=q: q(neo), n, warmup)  # type: ignore[misc]
                if "near" in label:
                    pd.testing.assert_frame_equal(a, b, check_exact=False, atol=0.01, rtol=0)
                else:
                    pd.testing.assert_frame_equal(a, b)
                rows.append((f"{label} p50 (ms)", f"{a50:.2f}", f"{b50:.2f}", f"{b50 / a50:.1f}×"))
                rows.append((f"{label} p99 (ms)", f"{a99:.2f}", f"{b99:.2f}", f"{b99 / a99:.1f}×"))
            n_matches = len(Q.matches(neo, ULM, RADIUS, topics=[TOPIC]))
        finally:
            driver.close()

    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'networkx':>10}  {'neo4j':>10}  {'neo4j/nx':>9}")
    for label, a_s, b_s, ratio in rows:
        print(f"{label:<{width}}  {a_s:>10}  {b_s:>10}  {ratio:>9}")
    print(f"\nresults equal on both stores (matches: {n_matches} rows)")
    cold = float(rows[0][2])
    p50 = float(next(r[2] for r in rows if r[0].startswith("matches") and "p50" in r[0]))
    print(f"targets: Neo4j full load ≤ 30 s: {cold:.1f} s {'OK' if cold <= 30 else 'MISSED'}; "
          f"Neo4j matches p50 ≤ 20 ms: {p50:.1f} ms {'OK' if p50 <= 20 else 'MISSED'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
