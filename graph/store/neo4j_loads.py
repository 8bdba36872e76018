"""Loads in progress on the Neo4j store: a heartbeat per load and the sweep of abandoned generations.

A load writes a whole new generation before it switches readers to it (see
:mod:`lernnetz.graph.store.neo4j_store`). When the loading process is killed half-way, its
partial generation stays behind, invisible to readers but taking space (a killed full load
left up to 34,683 nodes). So every load registers itself, ``(:LernnetzLoad {load_gen, beat})``,
and renews ``beat`` every :data:`BEAT_EVERY_S` seconds from a background thread while it
runs; a load whose beat is older than :data:`STALE_LOAD_S` is dead. At its start every load
deletes the nodes of every generation that is neither active nor held by a live load — the
orphans of killed loads — and after its switch it does the same again (which also removes
the generation it replaced). A load that is merely slow keeps beating, so a concurrent
load never deletes its nodes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, LiteralString

from neo4j import Driver, RoutingControl

from lernnetz.graph.model import NodeKind
from lernnetz.graph.store import cypher as cy

log = logging.getLogger(__name__)

#: How often a running load renews its heartbeat (seconds).
BEAT_EVERY_S = 5.0
#: A load whose heartbeat is older than this (seconds) died; its generation is an orphan.
STALE_LOAD_S = 30.0

RunFn = Callable[..., list[list[Any]]]


def _q(text: str) -> LiteralString:
    """A statement of :mod:`lernnetz.graph.store.cypher` (no values in its text)."""
    return text


@contextmanager
def heartbeat(driver: Driver, database: str, graph_id: str, gen: int) -> Iterator[None]:
    """Keep load ``gen`` registered as alive for the block; unregister it afterwards (also on
    failure; if that fails too, its marker goes stale and the next load forgets it)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(BEAT_EVERY_S):
            try:
                driver.execute_query(
                    _q(cy.BEAT_LOAD),
                    graph_id=graph_id,
                    gen=gen,
                    database_=database,
                    routing_=RoutingControl.WRITE,
                )
            except Exception as exc:  # the load itself will notice a dead server
                log.debug("heartbeat of load %s failed: %s", gen, exc)

    thread = threading.Thread(target=beat, name=f"lernnetz-load-{gen}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        try:
            driver.execute_query(
                _q(cy.END_LOAD), graph_id=graph_id, gen=gen, database_=database, routing_=RoutingControl.WRITE
            )
        except Exception as exc:  # pragma: no cover - depends on the server dying right here
            log.warning("could not unregister load %s (it will be forgotten as stale): %s", gen, exc)


def sweep(run: RunFn, graph_id: str, batch: int) -> int:
    """Delete the nodes of every generation neither active nor held by a live load; returns
    how many nodes were deleted. ``run(query, write=…, **params)`` is the store's runner."""
    run(cy.FORGET_DEAD_LOADS, write=True, graph_id=graph_id, stale_s=STALE_LOAD_S)
    rows = run(cy.LIVE_GENERATIONS, graph_id=graph_id)
    active, busy = rows[0] if rows else ([], [])
    deleted = 0
    for kind in NodeKind:
        query = cy.delete_abandoned_batch(kind)
        while n := int(run(query, write=True, active=list(active), busy=list(busy), batch=batch)[0][0]):
            deleted += n
    if deleted:
        log.info("deleted %d node(s) of abandoned generations (killed loads)", deleted)
    return deleted
