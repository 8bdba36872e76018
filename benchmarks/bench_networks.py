"""Benchmark ``learning_networks`` against the simple baseline, and over a whole Land at 300 km.

Run: ``python benchmarks/bench_networks.py [--n 5] [--records 10000] [--seed 7]``.

Setup (in memory, nothing written to the repository): the full register (Destatis) + the
curated programme + the demo participation of ``lernnetz demo-data`` (``--records`` synthetic
records, ``--seed``; :mod:`lernnetz.graph.synthetic`), in the embedded NetworkX store.

Both methods get the same candidates (non-funded Gemeinden within ``radius_km`` of the region
that have a topic), the same hubs (projects whose territory lies within the radius) and the
same reach (a candidate–hub pair counts when they share a topic and the candidate lies within
``radius_km`` of the hub's territory):

* **ours**: ``learning_networks(store, region, radius_km=r)`` with the defaults
  (``max_size`` 12, ``min_size`` 3) — several groups per hub, one topic each, members within
  reach of the hub and of each other (see :mod:`lernnetz.graph.analytics.grouping`);
* **baseline**: each candidate joins its nearest hub sharing a topic (ties: hub id), and each
  hub's members, nearest first, are cut into chunks of ``max_size``.

Columns: **coverage** = placed / candidates with a hub in reach; **compact.** = the median over
groups of the largest member-to-member distance (km), with the worst group after the slash;
**> r** = groups whose members lie more than ``r`` apart; **< min** = groups smaller than 3;
**evid./group** = the mean over groups of Σ member evidence strength (for ours: for the group's
topic; for the baseline: each member's strongest topic shared with its hub), and per placed
member; **wall/CPU** = median wall-clock and process CPU time over ``--n`` runs after one
warm-up (on the shared 2-core machine wall time also counts other people's work) (the per-store precomputation is built once
before). Then ``learning_networks(store, "Bayern", radius_km=300)``: median wall and CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lernnetz.graph import analytics as Q  # noqa: E402
from lernnetz.graph.analytics.area import _near, _projects_near, _region  # noqa: E402
from lernnetz.graph.analytics.context import _context  # noqa: E402
from lernnetz.graph.geo import haversine_km  # noqa: E402
from lernnetz.graph.model import GraphData  # noqa: E402
from lernnetz.graph.settings import CURATED_DIR  # noqa: E402
from lernnetz.graph.store.nx_store import NetworkXStore  # noqa: E402
from lernnetz.graph.synthetic import synthetic_participation  # noqa: E402
from lernnetz.loaders.programme import read_programme  # noqa: E402
from lernnetz.loaders.register import read_register  # noqa: E402

CASES = [("Ulm", "08421000", 40.0), ("Mayen-Koblenz", "07137", 40.0), ("Lemgo", "Lemgo", 30.0)]
MAX_SIZE, MIN_SIZE = 12, 3


def baseline(store: NetworkXStore, region: str, radius_km: float, max_size: int = MAX_SIZE) -> dict[str, Any]:
    """Nearest hub sharing a topic, chunked by max_size: groups as (hub, members, evidence)."""
    ctx = _context(store)
    pos, _ = _near(store, ctx, _region(store, ctx, region), radius_km)
    cands = sorted(p for p in pos[~ctx.funded[pos] & ctx.has_any[pos]].tolist())
    hubs = [pid for pid in _projects_near(ctx, pos) if ctx.projects[pid].topics]
    best: dict[int, tuple[float, str]] = {}
    for pid in hubs:
        who = np.array(
            [c for c in cands if ctx.projects[pid].topics.intersection(ctx.strength[c])], dtype=np.int64
        )
        if len(who) == 0:
            continue
        for c, km in zip(who.tolist(), ctx.distance_to_project(who, pid).tolist(), strict=True):
            if km <= radius_km and (km, pid) < best.get(c, (np.inf, "")):
                best[c] = (km, pid)
    by_hub: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
    for c, (km, pid) in best.items():
        by_hub[pid].append((km, str(ctx.ags[c]), c))
    groups = []
    for pid in sorted(by_hub):
        ms = [c for _, _, c in sorted(by_hub[pid])]
        for i in range(0, len(ms), max_size):
            chunk = ms[i : i + max_size]
            ev = sum(
                max(ctx.strength[c][t] for t in ctx.projects[pid].topics.intersection(ctx.strength[c]))
                for c in chunk
            )
            groups.append((pid, chunk, ev))
    return {"groups": groups, "reach": len(best), "lat": ctx.lat, "lon": ctx.lon, "pos_of": ctx.pos_of}


def spread(lat: np.ndarray, lon: np.ndarray, members: list[int]) -> float:
    arr = np.array(members, dtype=np.int64)
    return float(
        haversine_km(lat[arr][:, None], lon[arr][:, None], lat[arr][None, :], lon[arr][None, :]).max()
    )


def timed(fn: Callable[[], Any], n: int) -> tuple[float, float, Any]:
    fn()
    walls, cpus, out = [], [], None
    for _ in range(n):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def row(name: str, method: str, placed: int, reach: int, spreads: list[float], sizes: list[int], ev: list[float],
        r: float, wall: float, cpu: float) -> str:  # fmt: skip
    cov = placed / reach if reach else 1.0
    comp = f"{statistics.median(spreads):5.1f}/{max(spreads):5.1f}" if spreads else "   -/  -"
    over = sum(1 for s in spreads if s > r + 1e-9)
    small = sum(1 for s in sizes if s < MIN_SIZE)
    evg = statistics.mean(ev) if ev else 0.0
    evm = sum(ev) / placed if placed else 0.0
    return (f"| {name:<19} | {method:<8} | {len(sizes):6d} | {placed:4d}/{reach:<4d} {cov:6.1%} | {comp:>11} | "
            f"{over:4d} | {small:5d} | {evg:11.2f} | {evm:12.2f} | {wall * 1000:8.1f} | {cpu * 1000:7.1f} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    register = read_register(args.data / "destatis" / "gemeinden_gv_2020-12-31.csv")
    programme = read_programme(CURATED_DIR, register)
    with TemporaryDirectory() as tmp:
        base = NetworkXStore(Path(tmp) / "base.pickle")
        base.replace(GraphData(register=register, programme=programme))
        records = synthetic_participation(base, args.records, args.seed)
        store = NetworkXStore(Path(tmp) / "graph.pickle")
        store.replace(GraphData(register=register, programme=programme, participation=records))
        Q.matches(store, "08421000", 10)  # builds the per-store precomputation
        print(f"demo participation: {len(records)} synthetic records (seed {args.seed}); max_size {MAX_SIZE}, "
              f"min_size {MIN_SIZE}; medians of {args.n} runs\n")  # fmt: skip
        print("| region (radius)     | method   | groups | placed/reach coverage | compact. km | > r  | < min "
              "| evid./group | evid./member | wall ms  | CPU ms  |")  # fmt: skip
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, region, r in CASES:
            label = f"{name} {r:g} km"
            wall, cpu, ln = timed(
                lambda region=region, r=r: Q.learning_networks(store, region, radius_km=r), args.n
            )
            ctx = _context(store)
            spreads = [spread(ctx.lat, ctx.lon, list(ctx.positions(ms))) for ms in ln.groups["members"]]
            print(row(label, "ours", ln.params["placed"], ln.params["candidates_within_reach"], spreads,
                      list(ln.groups["size"]), list(ln.groups["evidence"]), r, wall, cpu))  # fmt: skip
            wall_b, cpu_b, b = timed(lambda region=region, r=r: baseline(store, region, r), args.n)
            spreads_b = [spread(b["lat"], b["lon"], ms) for _, ms, _ in b["groups"]]
            placed_b = sum(len(ms) for _, ms, _ in b["groups"])
            print(row(label, "baseline", placed_b, b["reach"], spreads_b, [len(ms) for _, ms, _ in b["groups"]],
                      [e for _, _, e in b["groups"]], r, wall_b, cpu_b))  # fmt: skip
            assert b["reach"] == ln.params["candidates_within_reach"], "both methods see the same candidates"
        wall, cpu, ln = timed(lambda: Q.learning_networks(store, "Bayern", radius_km=300), args.n)
        print(f"\nlearning_networks(Bayern, 300 km): median wall {wall:.2f} s, CPU {cpu:.2f} s; "
              f"{ln.params['candidates']} candidates, {len(ln.groups)} groups, coverage {ln.params['coverage']:.1%} "
              f"(target ≤ 2 s)")  # fmt: skip


if __name__ == "__main__":
    main()
