"""API benchmark: a real uvicorn (`lernnetz serve`) on loopback under load on ``/matches``.

Run: ``python benchmarks/bench_api.py [--data ../shared/data] [--seconds 15] [--concurrency 16]
[--tool auto|wrk|python] [--no-cache]``.

Setup: the full official register + the curated programme data + 10,000 synthetic interest
edges (``source=synthetic``) are written to a snapshot in a temporary data dir; ``lernnetz
serve`` (one uvicorn worker, request logging on) opens it. The load generator is ``wrk``
when installed (Debian package ``wrk``; ``--latency`` percentiles), else a Python asyncio +
httpx client; both keep ``--concurrency`` connections busy for ``--seconds``.

Scenarios, each reported as req/s, p50, p99 and errors (non-2xx or transport errors):

* ``matches, same query (cache on)`` — what a dashboard or web map polling one view sends:
  identical requests (region=Ulm, radius 50 km, topic mobility). After the first they are
  served from the API's response cache (rendered bytes keyed on the store generation).
* ``matches, 400 distinct (cache on)`` — 400 different regions (non-funded Gemeinden, 50 km)
  cycled: the first pass computes, later passes hit the cache.
* ``matches, 400 distinct (cache off)`` — the same with ``LERNNETZ_API_CACHE=0``: every
  request runs ``lernnetz.graph.analytics.matches`` and renders the page — the worst case.

The Python client is itself CPU-bound (about 400 req/s on 2 cores beside the server); use
wrk for throughput figures.

Targets (issue 5): ≥ 300 req/s, p99 ≤ 50 ms, 0 errors at concurrency 16 on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lernnetz.graph.model import GraphData  # noqa: E402
from lernnetz.graph.settings import CURATED_DIR  # noqa: E402
from lernnetz.graph.store.nx_store import NetworkXStore  # noqa: E402
from lernnetz.graph.synthetic import synthetic_participation  # noqa: E402
from lernnetz.loaders.programme import read_programme  # noqa: E402
from lernnetz.loaders.register import read_register  # noqa: E402

SAME = "/matches?region=Ulm&radius_km=50&topic=mobility"


@dataclass
class Outcome:
    scenario: str
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_snapshot(data: Path, target: Path, interests: int) -> list[str]:
    """Snapshot with register + programme + synthetic interests; returns 400 region AGS for the mix."""
    register = read_register(data / "destatis" / "gemeinden_gv_2020-12-31.csv")
    gd = GraphData(register=register, programme=read_programme(CURATED_DIR, register))
    base = NetworkXStore(None)
    base.replace(gd)
    gd.participation = synthetic_participation(base, n=interests, seed=7)
    store = NetworkXStore(target)
    store.replace(gd)
    m = store.municipalities()
    pool = m[~m["funded"].astype(bool) & ~m["unincorporated"].astype(bool) & (m["population"] > 2000)]
    return sorted(random.Random(1).sample(list(pool["ags"]), 400))


def start_server(
    data_dir: Path, port: int, *, cache: bool, workers: int = 1
) -> tuple[subprocess.Popen[bytes], Path]:
    log = data_dir / "server.log"
    env = {
        **os.environ,
        "LERNNETZ_DATA_DIR": str(data_dir),
        "LERNNETZ_BACKEND": "networkx",
        "PYTHONPATH": str(REPO),
    }
    if not cache:
        env["LERNNETZ_API_CACHE"] = "0"
    cmd = [sys.executable, "-c", "from lernnetz.api.cli import app; app()", "serve", "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc, log
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not come up")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---------------------------------------------------------------------------- load generators


def run_wrk(base: str, paths: list[str], seconds: int, conc: int, scenario: str, tmp: Path) -> Outcome:
    script = tmp / "paths.lua"
    lua_paths = ",\n".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    script.write_text(
        "local paths = {" + lua_paths + "}\n"
        "local i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n",
        encoding="utf-8",
    )
    threads = min(2, conc)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{conc}", f"-d{seconds}s", "--latency", "--timeout", "5s", "-s", str(script),
         base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            raise SystemExit(f"cannot read {label} from wrk:\n{out}")
        v = float(m[1])
        return v / 1000 if m[2] == "us" else v * 1000 if m[2] == "s" else v

    total = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx[1]) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return Outcome(scenario, "wrk", total, float(seconds), rps, ms("50%"), ms("99%"), errors)


async def _python_load(
    base: str, paths: list[str], seconds: int, conc: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        stop = time.perf_counter() + seconds
        counter = iter(range(10**9))

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                path = paths[next(counter) % len(paths)]
                t = time.perf_counter()
                try:
                    r = await client.get(path)
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        return latencies, errors, time.perf_counter() - start


def run_python(base: str, paths: list[str], seconds: int, conc: int, scenario: str) -> Outcome:
    lat, errors, took = asyncio.run(_python_load(base, paths, seconds, conc))
    q = statistics.quantiles(lat, n=100)
    return Outcome(scenario, "python", len(lat), took, len(lat) / took, q[49] * 1000, q[98] * 1000, errors)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--interests", type=int, default=10_000)
    ap.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    args = ap.parse_args()
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")

    tmp = Path(tempfile.mkdtemp(prefix="lernnetz-bench-api-"))
    try:
        t = time.perf_counter()
        regions = build_snapshot(Path(args.data), tmp / "graph.pickle", args.interests)
        print(f"snapshot with {args.interests} synthetic interest edges: {time.perf_counter() - t:.1f} s")
        mix = [f"/matches?region={a}&radius_km=50" for a in regions]
        results = []
        for scenario, paths, cache in (
            ("matches, same query (cache on)", [SAME], True),
            ("matches, 400 distinct (cache on)", mix, True),
            ("matches, 400 distinct (cache off)", mix, False),
        ):
            port = free_port()
            proc, log = start_server(tmp, port, cache=cache, workers=args.workers)
            base = f"http://127.0.0.1:{port}"
            try:
                for _ in range(4 * args.workers):  # every worker has built its analytics context at start
                    warm = httpx.get(base + SAME, timeout=60)
                    assert warm.status_code == 200, warm.text
                if tool == "wrk":
                    res = run_wrk(base, paths, args.seconds, args.concurrency, scenario, tmp)
                else:
                    res = run_python(base, paths, args.seconds, args.concurrency, scenario)
                results.append(res)
            finally:
                stop_server(proc)
            errors_in_log = log.read_text(errors="replace").count(" 500 ")
            if errors_in_log:
                print(f"  ({errors_in_log} server errors in the log)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    cores = os.cpu_count()
    print(
        f"\nGET /matches on a real uvicorn ({args.workers} worker(s)) on 127.0.0.1, {cores} cores, "
        f"concurrency {args.concurrency}, {args.seconds} s per scenario"
    )
    head = f"{'scenario':<36} {'tool':<7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  target"
    print(head)
    print("-" * len(head))
    for r in results:
        ok = r.rps >= 300 and r.p99_ms <= 50 and r.errors == 0
        print(
            f"{r.scenario:<36} {r.tool:<7} {r.requests:>9} {r.rps:>8.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{r.errors:>7}  {'met' if ok else 'MISSED'}"
        )
    print("targets: >= 300 req/s, p99 <= 50 ms, 0 errors")


if __name__ == "__main__":
    main()
