"""Health and counts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lernnetz.api.deps import StateDep, StoreDep
from lernnetz.api.render import document, respond
from lernnetz.api.responses import errors
from lernnetz.api.schemas import Health, Stats
from lernnetz.graph.analytics.basic import graph_stats

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Is the API up, and on which data?")
async def health(state: StateDep) -> Health:
    """Whether the store is reachable, the register's Stichtag, node and edge counts, and the data
    licence attribution. Always answers 200 — when the store is down, `status` is `unavailable`
    and `detail`/`hint` say why (use this for load balancer checks: look at `status`)."""
    return Health.model_validate(await run_in_threadpool(state.health))


@router.get("/stats", response_model=Stats, summary="Counts of the graph", responses=errors(503))
async def stats(request: Request, store: StoreDep) -> Response:
    """Nodes and edges per kind, Gemeinden and gemeindefreie Gebiete, total population, how many
    Gemeinden lie in a model project's territory (*funded*), projects per round and category, and
    interest edges per source (`synthetic` = generated demo data)."""
    return await respond(request, lambda: document(graph_stats(store)), model=Stats)
