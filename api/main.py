"""The lernnetz HTTP API: ``create_app()`` builds the FastAPI app.

Run it with ``lernnetz serve`` (uvicorn, ``factory=True`` on ``lernnetz.api.main:create_app``). The
lifespan opens the configured store once (embedded NetworkX by default, Neo4j when
``LERNNETZ_BACKEND=neo4j``) through :func:`lernnetz.graph.store.open_store`; tests inject a store.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lernnetz.api import docs, errors
from lernnetz.api.deps import ApiState, attribution_headers
from lernnetz.api.redact import mask_query
from lernnetz.api.routes import analytics, health, imports, municipalities, programme, regions
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import GraphStore

log = logging.getLogger("lernnetz.api")

#: The interpreter's thread switch interval in a server process (default 5 ms): a heavy analysis
#: running pure-Python loops in a worker thread then gives the event loop (``/health``, lookups)
#: the GIL after at most 1 ms instead of 5 ms per hand-over.
SWITCH_INTERVAL_S = 0.001

try:
    VERSION = version("lernnetz")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    VERSION = "0.0.0"

DESCRIPTION = """
**lernnetz** answers, over HTTP, the questions of the Koordinierungs- und Transferstelle (KTS) of the
Modellprojekte Smart Cities (MPSC): *which non-funded municipalities near a region share a topic with a
model project? which project should a municipality learn from? which regional learning networks should
we propose? where are the white spots? where should the next Regionalkonferenzen go?*

* **Regions** (`region=`, `a=`, `b=`) are an AGS (2 digits Land, 5 Kreis, 8 Gemeinde), a project id or
  a name. A name that fits several places ("Neustadt") is never guessed: **409** with the candidates.
  `GET /regions/resolve?q=` shows what a string means.
* **Distances** are great-circle distances between official centre coordinates (mean Earth radius
  6371.0088 km), to the nearest Gemeinde of the region; 0 inside it. `radius_km` ≤ 300 here.
* **Formats:** JSON by default; tables also `?format=csv` (plain), `?format=excel-csv` (German Excel:
  `;`, decimal comma, BOM), `?format=xlsx` (with a sheet `Quelle`: source, attribution, row count), and
  where rows are places `?format=geojson` (points; project territories as polygons, e.g. for QGIS).
  Learning networks also as GraphML/GEXF for Gephi: `GET /learning-networks/graph`.
* **Lists** are paginated with `limit` (≤ 1000, or `limit=all` for a full export) and `offset`;
  `total` (GeoJSON: `numberMatched`; XLSX: the `Quelle` sheet) and `X-Total-Count` give the full count.
* **Errors** always have the body `{"error": code, "detail": text, "hint": text}` (+ `candidates` on 409).
* **Heavy analytics** (learning networks, event plans, white spots, connections) run a few at a
  time: over the limit, or not ready within the time budget, they answer **503** with `Retry-After`
  (a finished answer is kept for the retry); a learning-network region too large for the server
  answers **422** `region_too_large` with a hint to narrow it. Identical requests in flight at the
  same time are computed once.
* **Writes** (`POST /imports/participation`) need `Authorization: Bearer <token>` (`LERNNETZ_API_TOKEN`).
* **Data licence:** the official register is © Statistisches Bundesamt (Destatis), dl-de/by-2-0. Every
  response carries the source note in the `X-Data-Attribution` header (ASCII transliteration) and a
  `Link: <https://www.govdata.de/dl-de/by-2-0>; rel="license"` header; `GET /health` has it verbatim.
  Interest edges with `source = synthetic` are generated demo data, never real registrations.
"""

TAGS = [
    {"name": "health", "description": "Is the API up, on which data, with which counts."},
    {"name": "municipalities", "description": "The official register of Gemeinden, and recommendations."},
    {"name": "programme", "description": "The model projects, the topic taxonomy and the KTS events."},
    {"name": "regions", "description": "What a region string means."},
    {
        "name": "analytics",
        "description": "Matching and learning-network analytics (the lernnetz.graph.analytics functions).",
    },
    {
        "name": "imports",
        "description": "Participation lists (conference registrations, surveys) into the graph.",
    },
]


class RequestLog:
    """Pure ASGI middleware: request logging with timing, and the attribution headers.

    Logs method, path, query string, status and milliseconds; never headers (so never the
    ``Authorization`` token), never settings (so never ``NEO4J_PASSWORD``), and a token sent
    in the query string (``?token=…``, ``?access_token=…``) only as ``***``.
    """

    def __init__(self, app: ASGIApp, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                ms = (time.perf_counter() - start) * 1000
                headers = [
                    *message.get("headers", []),
                    *attribution_headers(self.state),
                    (b"server-timing", f"app;dur={ms:.1f}".encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if log.isEnabledFor(logging.INFO):
                qs = mask_query(scope.get("query_string", b"").decode("latin-1"))  # no tokens
                log.info(
                    "%s %s%s %d %.1f ms",
                    scope.get("method", ""),
                    scope.get("path", ""),
                    "?" + qs[:300] if qs else "",
                    status,
                    (time.perf_counter() - start) * 1000,
                )


def cors_origins(settings: Settings) -> list[str]:
    """The CORS origins from ``LERNNETZ_CORS_ORIGINS`` (comma-separated; ``*`` allows any)."""
    return [o.strip() for o in settings.cors_origins.split(",") if o.strip()]


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """The API app. ``store`` injects an open store (tests); otherwise the lifespan opens the
    configured one once (and retries when it was not reachable)."""
    settings = settings or Settings()
    state = ApiState(settings, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.owns_store:  # a server process: hand the GIL over sooner (see SWITCH_INTERVAL_S)
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        await run_in_threadpool(state.open)
        log.info("lernnetz API ready (backend %s)", state.store.backend if state.store else settings.backend)
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="lernnetz API",
        version=VERSION,
        summary="Knowledge-transfer network of the Modellprojekte Smart Cities: who should learn from whom, and where.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served offline by lernnetz.api.docs
        redoc_url=None,
        license_info={
            "name": "Code: EUPL-1.2; data: dl-de/by-2-0",
            "url": "https://www.govdata.de/dl-de/by-2-0",
        },
    )
    app.state.lernnetz = state
    errors.install(app)
    docs.install(app)
    origins = cors_origins(settings)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Data-Attribution", "X-Total-Count", "Link"],
        )
    app.add_middleware(RequestLog, state=state)
    for router in (
        health.router,
        municipalities.router,
        programme.projects_router,
        programme.topics_router,
        programme.events_router,
        regions.router,
        analytics.router,
        imports.router,
    ):
        app.include_router(router)
    return app
