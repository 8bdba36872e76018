"""Neo4j store: small reads as one auto-commit query vs a managed transaction, alternated in one process.

Run: ``python benchmarks/bench_neo4j_reads.py --neo4j-uri bolt://127.0.0.1:7741 [--n 200] [--rounds 4]``
(that database is wiped and loaded with the set-up of ``run_all.py``'s Neo4j figure: the official
register + the curated programme + 10,000 synthetic interest edges).

Two stores on one driver and one loaded graph: **managed** answers every read as the store did
before (``driver.execute_query``: BEGIN + RUN + PULL pipelined, then COMMIT — two round trips),
**current** is the store as it is now (reads as one auto-commit query, see
:mod:`lernnetz.graph.store.neo4j_session`). Timed per round, the two alternated: ``_state()`` (the
pointer read every question pays) and ``matches(store, "08421000", 50 km, topics=["mobility"])``
(its analytics context cached per store state, so one pointer read per question), and
``near(["08421000"], 25 km)`` (a read with 60-odd rows, pushed down to Cypher), p50 over
``--n`` calls each; the embedded store's ``matches`` p50 in the same rounds gives the ratio of
issue 15 ("Neo4j ``matches`` p50 as a multiple of the embedded store ≤ 5×").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import bench_matches  # noqa: E402
import pandas as pd  # noqa: E402
from neo4j import Result, RoutingControl  # noqa: E402

from lernnetz.graph import analytics as Q  # noqa: E402
from lernnetz.graph.store.neo4j_store import Neo4jStore  # noqa: E402
from lernnetz.graph.store.nx_store import NetworkXStore  # noqa: E402
from tests.neo4j_fixtures import make_driver  # noqa: E402


def managed_run(self: Neo4jStore, query: str, *, write: bool = False, **params: Any) -> list[list[Any]]:
    """``Neo4jStore._run`` as it was: every statement in a managed transaction."""
    self._recheck()
    with self._errors():
        return self.driver.execute_query(
            query,  # type: ignore[arg-type]
            parameters_=params,
            database_=self.database,
            routing_=RoutingControl.WRITE if write else RoutingControl.READ,
            result_transformer_=Result.values,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument(
        "--neo4j-uri", default=os.environ.get("NEO4J_URI", ""), required=not os.environ.get("NEO4J_URI")
    )
    ap.add_argument("--n", type=int, default=200, help="timed calls per figure and round")
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()

    gd = bench_matches.interest_graph(args.data)
    nx_store = NetworkXStore(None)
    nx_store.replace(gd)
    driver = make_driver(args.neo4j_uri)
    try:
        current = Neo4jStore(driver, uri=args.neo4j_uri)
        current.wipe()
        current.replace(gd)
        managed = Neo4jStore(driver, uri=args.neo4j_uri)
        managed._run = types.MethodType(managed_run, managed)  # type: ignore[method-assign]

        def q(s: Any) -> pd.DataFrame:
            return Q.matches(s, "08421000", 50.0, topics=["mobility"])

        expected = q(nx_store)
        for s in (managed, current):
            for _ in range(100):  # the context, then the JVM's hot paths
                q(s)
            pd.testing.assert_frame_equal(q(s), expected)
        figures: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for name, s in (("managed", managed), ("current", current)):
                figures.setdefault(f"{name} _state()", []).append(bench_matches.timed(s._state, args.n)[0])
                near = bench_matches.timed(lambda s=s: s.near(["08421000"], 25.0), args.n)[0]
                figures.setdefault(f"{name} near 25 km", []).append(near)
                figures.setdefault(f"{name} matches", []).append(
                    bench_matches.timed(lambda s=s: q(s), args.n)[0]
                )
            figures.setdefault("embedded matches", []).append(
                bench_matches.timed(lambda: q(nx_store), args.n)[0]
            )
    finally:
        driver.close()

    print(f"\np50 in ms over {args.n} calls per round, {args.rounds} rounds alternated:")
    for name, p50s in figures.items():
        print(
            f"  {name:<22} "
            + " ".join(f"{v:6.3f}" for v in p50s)
            + f"   median {statistics.median(p50s):.3f}"
        )
    emb = statistics.median(figures["embedded matches"])
    for name in ("managed", "current"):
        print(
            f"  {name} matches / embedded: {statistics.median(figures[f'{name} matches']) / emb:.1f}× (target ≤ 5×)"
        )


if __name__ == "__main__":
    main()
