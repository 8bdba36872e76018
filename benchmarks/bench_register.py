"""Register benchmark: load from the raw file and from the snapshot, radius-query latency.

Run: ``python benchmarks/bench_register.py [--data ../shared/data] [--repeat 200]``.
Prints a table of medians (and p99 for queries) with the ratio against a naive pandas
full-scan baseline measured in the same run. Targets (issue 2): snapshot load ≤ 2 s,
radius query p50 ≤ 1 ms and ≥ 20× faster than the naive scan.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lernnetz.graph.geo import EARTH_RADIUS_KM
from lernnetz.graph.model import GraphData
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.register import read_register


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    clean = Path(args.data) / "destatis" / "gemeinden_gv_2020-12-31.csv"
    original = next((Path(args.data) / "destatis" / "original").glob("AuszugGV*.csv"))

    rows = []
    raw_clean = timed(lambda: read_register(clean), 5)
    raw_orig = timed(lambda: read_register(original), 5)
    naive_read = timed(lambda: pd.read_csv(clean, dtype=str), 5)
    register = read_register(clean)
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "graph.pickle"
        build = timed(lambda: NetworkXStore(snap).replace(GraphData(register)), 3)
        snap_load = timed(lambda: NetworkXStore(snap), 5)
        store = NetworkXStore(snap)
    rows.append(
        (
            "parse clean CSV (register records)",
            statistics.median(raw_clean),
            None,
            statistics.median(naive_read),
        )
    )
    rows.append(
        ("parse publisher CSV export", statistics.median(raw_orig), None, statistics.median(naive_read))
    )
    rows.append(("build graph + write snapshot", statistics.median(build), None, None))
    rows.append(
        (
            "open snapshot (restart)",
            statistics.median(snap_load),
            None,
            statistics.median(raw_clean) + statistics.median(build),
        )
    )

    m = store.municipalities()
    m = m[m["lat"].notna()].reset_index(drop=True)
    rng = np.random.default_rng(1)
    centres = list(m["ags"].sample(50, random_state=1))
    lat = np.radians(m["lat"].to_numpy())
    lon = np.radians(m["lon"].to_numpy())

    def naive(ags: str, r: float) -> pd.DataFrame:
        """The pandas full scan an analyst would write: every row, every query."""
        c = m[m["ags"] == ags].iloc[0]
        la, lo = np.radians(c["lat"]), np.radians(c["lon"])
        d = (
            2
            * EARTH_RADIUS_KM
            * np.arcsin(
                np.sqrt(np.sin((lat - la) / 2) ** 2 + np.cos(la) * np.cos(lat) * np.sin((lon - lo) / 2) ** 2)
            )
        )
        out = m.assign(distance_km=d)
        return out[out["distance_km"] <= r].sort_values(["distance_km", "ags"])

    i = iter(range(10**9))
    q = timed(lambda: store.near([centres[next(i) % 50]], 20.0), args.repeat)
    j = iter(range(10**9))
    nv = timed(lambda: naive(centres[next(j) % 50], 20.0), args.repeat)
    del rng

    def rowwise(ags: str, r: float) -> pd.DataFrame:
        """The most naive pandas: a Python haversine applied row by row."""
        import math

        c = m[m["ags"] == ags].iloc[0]
        la, lo = math.radians(c["lat"]), math.radians(c["lon"])

        def h(row: pd.Series) -> float:
            p2, l2 = math.radians(row["lat"]), math.radians(row["lon"])
            a = math.sin((p2 - la) / 2) ** 2 + math.cos(la) * math.cos(p2) * math.sin((l2 - lo) / 2) ** 2
            return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))

        out = m.assign(distance_km=m.apply(h, axis=1))
        return out[out["distance_km"] <= r].sort_values(["distance_km", "ags"])

    k = iter(range(10**9))
    rw = timed(lambda: rowwise(centres[next(k) % 50], 20.0), 10)

    print(f"{'measure':<40} {'median s':>10} {'p99 s':>10} {'baseline s':>11} {'ratio':>8}")
    for name, med, _p99, base in rows:
        ratio = f"{base / med:8.1f}" if base else "       –"
        print(f"{name:<40} {med:10.4f} {'':>10} {base if base is not None else float('nan'):11.4f} {ratio}")
    print(
        f"{'radius query 20 km (store.near)':<40} {p(q, 50):10.6f} {p(q, 99):10.6f} {p(nv, 50):11.6f} {p(nv, 50) / p(q, 50):8.1f}"
    )
    print(
        f"{'  vs row-wise pandas apply (naivest)':<40} {p(q, 50):10.6f} {p(q, 99):10.6f} {p(rw, 50):11.6f} {p(rw, 50) / p(q, 50):8.1f}"
    )
    print("\nbaselines for queries, same run: vectorised numpy full scan over the frame (filter, sort),")
    print("and the row-wise DataFrame.apply an analyst might write first")
    print(
        f"targets: snapshot load ≤ 2 s → {statistics.median(snap_load):.3f} s; "
        f"query p50 ≤ 1 ms → {p(q, 50) * 1000:.3f} ms; ≥ 20× naive → {p(nv, 50) / p(q, 50):.1f}×"
    )


if __name__ == "__main__":
    main()
