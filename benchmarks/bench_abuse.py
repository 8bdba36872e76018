"""Abuse benchmark: the serve process's peak memory and ``/health`` latency while 4 clients
hammer the heaviest endpoint (issue 16).

Run: ``python benchmarks/bench_abuse.py [--data ../shared/data] [--seconds 60] [--clients 4]``.

Setup as in ``bench_api.py``: the full official register + the curated programme data +
10,000 synthetic interest edges in a snapshot in a temporary data dir; one ``lernnetz serve``
(one uvicorn worker) on 127.0.0.1 opens it. Nothing leaves the machine.

Two phases against the same server, in this order:

* ``idle`` (baseline, ``--idle-seconds``): only the ``/health`` probe runs (one request every
  50 ms, one connection).
* ``abuse`` (``--seconds``): the probe keeps running while ``--clients`` clients send, back to
  back, ``GET /learning-networks?region=Bayern&radius_km=300&seed=N`` with a new ``seed`` each
  time, so no response cache and no single-flight can answer for them: every request asks
  for the heaviest computation the API offers (issue 16 saw 12 s each, 3.3–10 GB). A client
  counts the answers by status (200; 503/422 = the API's budget refusing, as intended) and
  its transport errors.

Printed: per phase the ``/health`` p50/p99/max and failures, the server's RSS (sampled every
200 ms from ``/proc``) and its peak (``VmHWM``), and the ratio abuse/idle. Targets: peak
RSS ≤ 2 GB and ``/health`` p99 ≤ 100 ms under abuse.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import REPO, build_snapshot, free_port, start_server, stop_server

HEAVY = "/learning-networks?region=Bayern&radius_km=300&seed={seed}"
PROBE_EVERY_S = 0.05
RSS_EVERY_S = 0.2
TARGET_RSS_MB = 2048
TARGET_P99_MS = 100


@dataclass
class Phase:
    name: str
    health_ms: list[float] = field(default_factory=list)
    health_failures: int = 0
    rss_mb: list[float] = field(default_factory=list)
    heavy: Counter[str] = field(default_factory=Counter)
    heavy_ms: list[float] = field(default_factory=list)
    capped: bool = False


def _status_kb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return 0.0


def _probe(base: str, phase: Phase, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            t = time.perf_counter()
            try:
                ok = client.get("/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            took = (time.perf_counter() - t) * 1000
            phase.health_ms.append(took)
            phase.health_failures += not ok
            stop.wait(max(0.0, PROBE_EVERY_S - took / 1000))


def _rss(pid: int, phase: Phase, stop: threading.Event, cap_mb: float) -> None:
    while not stop.is_set():
        try:
            rss = _status_kb(pid, "VmRSS") / 1024
        except OSError:  # the server is gone
            return
        phase.rss_mb.append(rss)
        if rss > cap_mb:  # a shared machine: never let the server take it down
            phase.capped = True
            os.kill(pid, signal.SIGKILL)
            return
        stop.wait(RSS_EVERY_S)


def _hammer(
    base: str, phase: Phase, stop: threading.Event, seeds: threading.Semaphore, counter: list[int]
) -> None:
    with httpx.Client(base_url=base, timeout=180) as client:
        while not stop.is_set():
            with seeds:
                counter[0] += 1
                seed = counter[0]
            t = time.perf_counter()
            try:
                status = str(client.get(HEAVY.format(seed=seed)).status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            phase.heavy[status] += 1
            phase.heavy_ms.append((time.perf_counter() - t) * 1000)


def run_phase(name: str, base: str, pid: int, seconds: float, clients: int, cap_mb: float) -> Phase:
    phase = Phase(name)
    stop, done = threading.Event(), threading.Event()
    seeds, counter = threading.Semaphore(), [1000]
    probes = [
        threading.Thread(target=_probe, args=(base, phase, done)),
        threading.Thread(target=_rss, args=(pid, phase, done, cap_mb)),
    ]
    workers = [
        threading.Thread(target=_hammer, args=(base, phase, stop, seeds, counter)) for _ in range(clients)
    ]
    for t in [*probes, *workers]:
        t.start()
    time.sleep(seconds)
    stop.set()  # no new heavy requests; those in flight finish (bounded by the client timeout)
    for t in workers:
        t.join()
    done.set()
    for t in probes:
        t.join()
    return phase


def _q(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--idle-seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--interests", type=int, default=10_000)
    ap.add_argument("--max-rss-mb", type=float, default=6000, help="kill the server beyond this RSS (safety)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="lernnetz-bench-abuse-"))
    try:
        build_snapshot(Path(args.data), tmp / "graph.pickle", args.interests)
        port = free_port()
        proc, log = start_server(tmp, port, cache=True)
        base = f"http://127.0.0.1:{port}"
        try:
            idle = run_phase("idle", base, proc.pid, args.idle_seconds, 0, args.max_rss_mb)
            abuse = run_phase("abuse", base, proc.pid, args.seconds, args.clients, args.max_rss_mb)
            alive = proc.poll() is None
            peak_mb = _status_kb(proc.pid, "VmHWM") / 1024 if alive else max(abuse.rss_mb)
        finally:
            stop_server(proc)
        server_errors = log.read_text(errors="replace").count(" 500 ")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\nlernnetz serve (1 worker) on 127.0.0.1; {args.clients} clients x "
        f"GET {HEAVY.format(seed='N')} for {args.seconds:g} s; /health every {PROBE_EVERY_S * 1000:.0f} ms"
    )
    head = f"{'phase':<7} {'health n':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'fail':>5} {'RSS med MB':>10} {'RSS max MB':>10}"
    print(head)
    print("-" * len(head))
    for p in (idle, abuse):
        print(
            f"{p.name:<7} {len(p.health_ms):>8} {_q(p.health_ms, 50):>8.1f} {_q(p.health_ms, 99):>8.1f} "
            f"{max(p.health_ms, default=float('nan')):>8.1f} {p.health_failures:>5} "
            f"{statistics.median(p.rss_mb):>10.0f} {max(p.rss_mb):>10.0f}"
        )
    ratio = _q(abuse.health_ms, 99) / _q(idle.health_ms, 99)
    print(f"ratio abuse/idle: /health p99 x{ratio:.1f}, RSS max x{max(abuse.rss_mb) / max(idle.rss_mb):.1f}")
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(abuse.heavy.items()))
    print(
        f"heavy requests: {sum(abuse.heavy.values())} ({statuses}); "
        f"median {statistics.median(abuse.heavy_ms or [float('nan')]) / 1000:.1f} s; 500s in the server log: {server_errors}"
    )
    capped = f" (killed by the bench at the {args.max_rss_mb:.0f} MB safety cap)" if abuse.capped else ""
    print(f"server alive at the end: {alive}{capped}; peak RSS (VmHWM) {peak_mb:.0f} MB")
    rss_ok, p99_ok = peak_mb <= TARGET_RSS_MB, _q(abuse.health_ms, 99) <= TARGET_P99_MS
    print(
        f"targets: peak RSS <= {TARGET_RSS_MB} MB {'met' if rss_ok else 'MISSED'}; "
        f"/health p99 <= {TARGET_P99_MS} ms {'met' if p99_ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
