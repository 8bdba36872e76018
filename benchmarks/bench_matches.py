"""Benchmark ``lernnetz.graph.analytics.matches`` against a naive pandas approach, and on a 10× register.

Run: ``python benchmarks/bench_matches.py [--data ../shared/data] [--n 300]``.

Setup (all in memory, nothing written to the repository):

1. **Full register** (Destatis, 11,004 Satzart-60 records) + the curated programme data +
   10,000 synthetic interest edges (``lernnetz.graph.synthetic``, ``attendance_share=0``, seed 7),
   in the embedded NetworkX store.
2. **10× register**: the real points plus 9 jittered copies (±0.05°) shifted over a
   5 × 2 grid of Germany-sized tiles (longitude −13° … 34°, latitude 38.7° … 55°, roughly
   Europe's extent), 110,040 points, with 100,000 synthetic interest edges (the same
   density). The copies get their own keys (``X<k><AGS>``), no Kreis or Verband, so the
   project territories stay those of the real programme.

Query: ``matches(store, "08421000" (Ulm), 50 km, topics=["mobility"])``, timed ``--n``
times after one warm-up call (which builds the per-store precomputation; its time is
reported separately). The **naive pandas approach** answers the same question without
precomputation: each call takes the full tables (municipalities, territories,
project topics, interests, attendances, event topics), computes haversine distances from
the region to every municipality and every territory row, and merges/groups with pandas.
It is given the region's member list (no name resolution), and its answer is checked to
equal ``matches`` (same AGS, same projects).

Targets (issue 4): p50 ≤ 2 ms and ≥ 20× faster than the naive approach on the full
register; the 10× register's p50 ≤ 3× the full register's.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lernnetz.graph import analytics as Q  # noqa: E402
from lernnetz.graph.geo import haversine_km  # noqa: E402
from lernnetz.graph.model import GraphData  # noqa: E402
from lernnetz.graph.regions import resolve_region  # noqa: E402
from lernnetz.graph.settings import CURATED_DIR  # noqa: E402
from lernnetz.graph.store.nx_store import NetworkXStore  # noqa: E402
from lernnetz.graph.synthetic import synthetic_participation  # noqa: E402
from lernnetz.loaders.programme import read_programme  # noqa: E402
from lernnetz.loaders.records import Register  # noqa: E402
from lernnetz.loaders.register import read_register  # noqa: E402

REGION, RADIUS, TOPIC = "08421000", 50.0, "mobility"
TILES = [(dx, dy) for dy in (0, -1) for dx in (0, -2, -1, 1, 2)]  # tile 0 = the real register
TILE_LON, TILE_LAT = 9.5, 8.5


def timed(fn: Callable[[], Any], n: int) -> tuple[float, float, Any]:
    """p50 and p99 in ms over n calls (after the caller's warm-up)."""
    out: Any = None
    times = []
    gc.collect()
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.99 * (len(times) - 1)))], out


def naive_matches(store: NetworkXStore, members: list[str], radius: float, topic: str) -> pd.DataFrame:
    """The same question as ``matches`` (projects="near", one topic), with full pandas scans."""
    m = store.municipalities()[["ags", "name", "funded", "lat", "lon", "population"]]
    terr = store.territories()[["project_id", "ags"]]
    pt = store.project_topics()[["project_id", "topic"]]
    i = store.interests()[["ags", "topic", "kind", "source", "date", "event_id"]]
    a = store.attendances()[["ags", "event_id"]]
    et = store.event_topics()[["event_id", "topic"]]
    centre = m[m["ags"].isin(members)]
    d = haversine_km(
        m["lat"].to_numpy()[:, None], m["lon"].to_numpy()[:, None],
        centre["lat"].to_numpy()[None, :], centre["lon"].to_numpy()[None, :],
    ).min(axis=1)  # fmt: skip
    m = m.assign(distance_km=np.where(m["ags"].isin(members), 0.0, d))
    area = m[m["distance_km"] <= radius]
    # projects whose territory lies within the radius, addressing the topic
    tpos = terr.merge(area[["ags", "distance_km"]], on="ags")
    near_projects = tpos.groupby("project_id", as_index=False)["distance_km"].min()
    offering = near_projects.merge(pt[pt["topic"] == topic], on="project_id")
    # candidates: non-funded, in the area, with the topic by interest or by an attended event's focus
    via_i = i[i["topic"] == topic][["ags", "topic"]]
    via_e = a.merge(et[et["topic"] == topic], on="event_id")[["ags", "topic"]]
    cand = area[~area["funded"].astype(bool)].merge(pd.concat([via_i, via_e]).drop_duplicates(), on="ags")
    if cand.empty or offering.empty:
        return pd.DataFrame(columns=["ags", "projects"])
    # candidate ↔ project territory distances
    pairs = cand[["ags", "lat", "lon"]].drop_duplicates().merge(offering[["project_id"]], how="cross")
    pairs = pairs.merge(terr.merge(m[["ags", "lat", "lon"]], on="ags", suffixes=("", "_t")), on="project_id",
                        suffixes=("", "_t"))  # fmt: skip
    pairs["km"] = haversine_km(
        pairs["lat"].to_numpy(), pairs["lon"].to_numpy(), pairs["lat_t"].to_numpy(), pairs["lon_t"].to_numpy()
    )
    best = pairs.groupby(["ags", "project_id"], as_index=False)["km"].min()
    out = best.groupby("ags")["project_id"].apply(sorted).reset_index(name="projects")
    return out.sort_values("ags").reset_index(drop=True)


def big_register(reg: Register, rng: np.random.Generator) -> Register:
    """The real register plus 9 jittered, shifted copies (see module docstring)."""
    munis = list(reg.municipalities)
    for k, (dx, dy) in enumerate(TILES[1:], start=1):
        for m in reg.municipalities:
            if m.lat is None or m.lon is None:
                continue
            jitter = rng.uniform(-0.05, 0.05, size=2)
            munis.append(
                replace(
                    m,
                    ags=f"X{k}{m.ags}",
                    ars=f"X{k}{m.ars}",
                    district_key=None,
                    association_key=f"X{k}{m.association_key}",
                    lat=float(m.lat + dy * TILE_LAT + jitter[0]),
                    lon=float(m.lon + dx * TILE_LON + jitter[1]),
                )
            )
    return replace(reg, municipalities=munis)


def interest_graph(data: Path, n_edges: int = 10_000) -> GraphData:
    """The benchmarks' graph: the official register, the curated programme and ``n_edges``
    synthetic interest edges (seed 7, no attendances), as :func:`measure` builds it."""
    reg = read_register(data / "destatis" / "gemeinden_gv_2020-12-31.csv")
    prog = read_programme(CURATED_DIR, reg)
    base = NetworkXStore(None)
    base.replace(GraphData(register=reg, programme=prog))
    part = synthetic_participation(base, n_edges, seed=7, attendance_share=0.0)
    return GraphData(register=reg, programme=prog, participation=part)


def measure(label: str, data: GraphData, n_edges: int, n: int, naive: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    base = NetworkXStore(None)
    base.replace(data)
    records = synthetic_participation(base, n_edges, seed=7, attendance_share=0.0)
    store = NetworkXStore(None)
    store.replace(GraphData(register=data.register, programme=data.programme, participation=records))
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = Q.matches(store, REGION, RADIUS, topics=[TOPIC])
    warm_ms = (time.perf_counter() - t0) * 1000.0
    p50, p99, result = timed(lambda: Q.matches(store, REGION, RADIUS, topics=[TOPIC]), n)
    assert result.equals(first)
    row: dict[str, Any] = {
        "register": label,
        "points": len(data.register.municipalities),
        "interest_edges": store.info()["edges"]["INTERESTED_IN"],
        "rows": len(result),
        "build_s": round(build_s, 1),
        "first_call_ms": round(warm_ms, 1),
        "matches_p50_ms": round(p50, 3),
        "matches_p99_ms": round(p99, 3),
    }
    if naive:
        members = list(resolve_region(store, REGION).members)
        naive_matches(store, members, RADIUS, TOPIC)
        np50, np99, nres = timed(lambda: naive_matches(store, members, RADIUS, TOPIC), max(20, n // 10))
        mine = result[["ags", "projects"]].assign(
            projects=lambda d: d["projects"].map(lambda ps: sorted(p["id"] for p in ps))
        )
        mine = mine.sort_values("ags").reset_index(drop=True)
        assert list(mine["ags"]) == list(nres["ags"]), "naive and matches disagree on the rows"
        assert list(mine["projects"]) == list(nres["projects"]), "naive and matches disagree on the projects"
        row.update(naive_p50_ms=round(np50, 3), naive_p99_ms=round(np99, 3), speedup_p50=round(np50 / p50, 1))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=300, help="timed calls per measurement")
    ap.add_argument("--skip-big", action="store_true", help="only the real register")
    args = ap.parse_args()
    csv = args.data / "destatis" / "gemeinden_gv_2020-12-31.csv"
    reg = read_register(csv)
    prog = read_programme(CURATED_DIR, reg)
    rows = [measure("full (real)", GraphData(register=reg, programme=prog), 10_000, args.n, naive=True)]
    if not args.skip_big:
        big = big_register(reg, np.random.default_rng(1))
        rows.append(
            measure("10× synthetic", GraphData(register=big, programme=prog), 100_000, args.n, naive=True)
        )
    df = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(
        f"\nmatches(region={REGION} (Ulm), radius={RADIUS:g} km, topics=[{TOPIC!r}]), {args.n} timed calls each\n"
    )
    print(df.to_string(index=False))
    real = rows[0]
    print(
        f"\nfull register: p50 {real['matches_p50_ms']:.3f} ms (target ≤ 2 ms), "
        f"{real['speedup_p50']:.1f}× the naive pandas scan (target ≥ 20×)"
    )
    if len(rows) > 1:
        growth = rows[1]["matches_p50_ms"] / real["matches_p50_ms"]
        print(
            f"10× register: p50 {rows[1]['matches_p50_ms']:.3f} ms = {growth:.2f}× the full register (target ≤ 3×)"
        )


if __name__ == "__main__":
    main()
