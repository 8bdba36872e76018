"""Shared state and dependencies: the store (opened once), settings, auth, the response cache,
and the bounds on heavy work (a concurrency limit, single-flight, a time budget)."""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from lernnetz.api.cache import ResponseCache
from lernnetz.api.errors import ApiError
from lernnetz.graph.errors import LernnetzError, StoreUnavailable
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import GraphStore, open_store

log = logging.getLogger("lernnetz.api")
T = TypeVar("T")

#: The young generation's collection threshold in an API process (see :meth:`ApiState.settle`).
SERVER_GC_THRESHOLD = 10_000

#: Shown when the store cannot tell its own source note (e.g. it is not reachable).
FALLBACK_ATTRIBUTION = (
    "© Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys "
    "(Daten verändert); Datenlizenz Deutschland – Namensnennung – Version 2.0 "
    "(https://www.govdata.de/dl-de/by-2-0)"
)
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"
#: How long after a failed open the API tries again (seconds).
REOPEN_INTERVAL_S = 2.0

_ASCII = str.maketrans(
    {
        "©": "(c)",
        "–": "-",
        "—": "-",
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
    }
)


def ascii_header(text: str) -> str:
    """An ASCII transliteration for an HTTP header (headers are latin-1; we keep them ASCII)."""
    t = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return "".join(c for c in t if c.isascii() and (c.isprintable() or c == " "))


class HeavyGate:
    """At most ``limit`` heavy analytics at once; one more is refused at once (503 with
    ``Retry-After``), never queued, so heavy questions cannot pile up and stall ``/health`` and
    the lookups. Used from the event loop only (no lock needed)."""

    def __init__(self, limit: int, budget_s: float) -> None:
        self.limit = limit
        self.budget_s = budget_s
        self.running = 0
        self.refused = 0

    def enter(self) -> None:
        """Take a slot or raise 503 ``busy``."""
        if self.running >= self.limit:
            self.refused += 1
            raise ApiError(
                503,
                "busy",
                f"the server is already computing {self.running} heavy analyses (the limit)",
                hint="retry after the time in the Retry-After header, or narrow the region or radius",
                headers={"Retry-After": str(self.retry_after())},
            )
        self.running += 1

    def leave(self) -> None:
        """Give a slot back (when the computation has really finished)."""
        self.running = max(0, self.running - 1)

    def retry_after(self) -> int:
        """Seconds a client should wait before retrying: a few, never more than the budget."""
        return max(1, min(5, math.ceil(self.budget_s)))

    def too_slow(self) -> ApiError:
        """503 for an answer not ready within the budget (it is still cached for the retry)."""
        return ApiError(
            503,
            "too_slow",
            f"the answer was not ready within {self.budget_s:g} s",
            hint="retry after the time in the Retry-After header (the answer is kept when it is done), "
            "or narrow the region or radius",
            headers={"Retry-After": str(self.retry_after())},
        )


class Flights:
    """Single-flight: identical requests that arrive while one is being computed wait for that
    one's answer instead of computing it again (the event loop's futures, keyed like the cache)."""

    def __init__(self) -> None:
        self._running: dict[tuple[object, ...], asyncio.Future[Any]] = {}
        self.joined = 0

    def get(self, key: tuple[object, ...]) -> asyncio.Future[Any] | None:
        """The future of an identical computation in flight, if any."""
        fut = self._running.get(key)
        if fut is not None:
            self.joined += 1
        return fut

    def start(self, key: tuple[object, ...]) -> asyncio.Future[Any]:
        """Register a computation; finish it with :meth:`finish`."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._running[key] = fut
        return fut

    def finish(self, key: tuple[object, ...], fut: asyncio.Future[Any], task: asyncio.Future[Any]) -> None:
        """Hand the task's outcome to everyone waiting on ``fut``."""
        if self._running.get(key) is fut:
            del self._running[key]
        if fut.done():
            return
        if task.cancelled():
            fut.cancel()
        elif task.exception() is not None:
            fut.set_exception(task.exception())  # type: ignore[arg-type]
        else:
            fut.set_result(task.result())
        if not fut.cancelled():
            fut.exception()  # marks it retrieved: no "never retrieved" log when every waiter gave up

    def __len__(self) -> int:
        return len(self._running)


class ApiState:
    """What the app holds for its lifetime: settings, the store, the cache, the write lock."""

    def __init__(self, settings: Settings, store: GraphStore | None = None) -> None:
        self.settings = settings
        self.store: GraphStore | None = store
        self.owns_store = store is None
        self.generation = 0
        self.cache = ResponseCache()
        self.heavy = HeavyGate(settings.heavy_concurrency, settings.heavy_budget_s)
        self.flights = Flights()
        self.write_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self.last_error: LernnetzError | None = None
        self._last_attempt = 0.0
        self.attribution = FALLBACK_ATTRIBUTION
        self.attribution_header = ascii_header(FALLBACK_ATTRIBUTION)
        self.stichtag = ""
        self._lane: anyio.CapacityLimiter | None = None
        self._thresholds: tuple[int, int, int] | None = None  # the collector's, before settle()

    # ------------------------------------------------------------------ store lifecycle

    def open(self) -> None:
        """Open the configured store (once); a failure is remembered and retried later."""
        with self._open_lock:
            self._last_attempt = time.monotonic()
            if self.store is None:
                try:
                    self.store = open_store(self.settings)
                    self.last_error = None
                except LernnetzError as exc:
                    self.last_error = exc
                    log.warning("store not available at start: %s", exc.detail)
                    return
            self.refresh_metadata()
            self.warm()
            self.settle()

    def warm(self) -> None:
        """Build the analytics' precomputed context now, once, not in the first analytics requests
        (which would otherwise each wait for it), and keep it in the embedded store's warm cache
        beside the snapshot (for the CLI and the next start)."""
        from lernnetz.graph import analytics as queries
        from lernnetz.graph.analytics.basic import prepare_lookups
        from lernnetz.graph.analytics.context import _context, prepare

        store = self.store
        if store is None:
            return
        try:
            prepare(store, persist=self.owns_store)
            topics = store.topics()["slug"]
            if len(topics):
                queries.white_spots(store, str(topics.iloc[0]), 1.0)
            # what the first lookups and radius questions would otherwise build under load (the
            # municipality index, 0.25 s; SciPy and the k-d tree, 0.3 s: a stall of every
            # request in flight when the 33rd radius question came)
            prepare_lookups(store)
            _context(store).index.build()
        except Exception as exc:  # optional: the first analytics request builds it otherwise
            log.warning("analytics warm-up skipped: %s", getattr(exc, "detail", exc))

    def settle(self) -> None:
        """Move everything allocated so far (the loaded graph and the analytics context: millions
        of objects) out of the cyclic garbage collector's view, so a full collection does not walk
        them under load (pauses of 100-200 ms otherwise). Only for a store the API opened itself
        (a server process); :meth:`close` hands the objects back to the collector."""
        if self.owns_store:
            gc.unfreeze()  # what the context build froze is collected once here too
            gc.collect()
            gc.freeze()
            # a young collection every 10,000 new containers, not every 700: an answer under way
            # holds a few thousand (its rows), so with the default nearly every request collected
            # and moved its live rows to the old generation, whose full collections (50-85 ms
            # each, about 2 a second) then took 15 % of the time under /matches load and made
            # its p99 (measured: 900 ms of collections in 6 s, p99 97-190 ms; with this none
            # after the first pass, p99 29-36 ms)
            if self._thresholds is None:
                self._thresholds = gc.get_threshold()
            gc.set_threshold(SERVER_GC_THRESHOLD, *self._thresholds[1:])

    def refresh_metadata(self) -> None:
        """Read the Stichtag and the attribution from the store (after open and after writes)."""
        store = self.store
        if store is None:
            return
        try:
            info = store.info()
        except LernnetzError as exc:
            self.last_error = exc
            return
        self._remember(info)

    def _remember(self, info: dict[str, Any]) -> None:
        """Keep the store's attribution and Stichtag (kept as they were when it does not say)."""
        self.attribution = str(info.get("attribution") or self.attribution)
        self.attribution_header = ascii_header(self.attribution)
        self.stichtag = str(info.get("stichtag") or self.stichtag)

    def ready(self) -> GraphStore | None:
        """The store when it needs no (re)opening, else ``None`` (then call :meth:`get_store`).
        A store whose snapshot another process replaced (a CLI ``load`` or import, another
        worker's upload) is not ready: :meth:`get_store` swaps in the newer graph first."""
        store = self.store
        if store is None:
            return None
        if not self.owns_store:
            return store
        if getattr(store, "loaded", True) and not store.stale():
            return store
        return None

    def _swap_newer(self, stale: GraphStore) -> None:
        """Open the newer graph as a new store object and swap it in (once, whoever comes
        first). Requests under way keep the object they started with, so every answer comes
        from one consistent graph; the next requests see the new one."""
        with self._open_lock:
            if self.store is not stale or not stale.stale():
                return
            try:
                fresh = open_store(self.settings)
            except LernnetzError as exc:  # e.g. the snapshot vanished: keep answering from the old one
                self.last_error = exc
                log.warning("could not read the newer graph: %s", exc.detail)
                return
            gc.unfreeze()  # the old graph goes back to the collector once its requests finish
            self.store = fresh
            log.info("a newer graph was written by another process: swapped in")
        self.bump()

    def get_store(self) -> GraphStore:
        """The open store; retries opening one the API owns when it was not available (blocking)."""
        store = self.ready()
        if store is not None:
            return store
        store = self.store
        if self.owns_store and store is not None and getattr(store, "loaded", True) and store.stale():
            self._swap_newer(store)
            if self.store is not None and getattr(self.store, "loaded", True):
                return self.store
        if self.owns_store and time.monotonic() - self._last_attempt >= REOPEN_INTERVAL_S:
            if store is not None:  # an embedded store without a graph: a snapshot may exist by now
                self.store = None
            self.open()
            store = self.store
        if store is None:
            err = self.last_error
            raise StoreUnavailable(
                err.detail if err else "the graph store is not available",
                hint=(
                    err.hint if err and err.hint else "check the store settings; GET /health shows the state"
                ),
            )
        return store

    def lane(self) -> anyio.CapacityLimiter | None:
        """Where the answers that are not heavy are computed: on the embedded store, one lane of
        ``LERNNETZ_API_LANES`` threads (default 1), first come first served, so sixteen answers
        under way do not each take as long as all of them together (they hold the GIL: more
        threads only share one core and add switches); ``None`` (the shared pool) for Neo4j,
        whose answers mostly wait on the server, or with ``LERNNETZ_API_LANES=0``."""
        store = self.store
        if self.settings.api_lanes == 0 or store is None or store.backend != "networkx":
            return None
        if self._lane is None:  # made on the event loop, at the first request
            self._lane = anyio.CapacityLimiter(self.settings.api_lanes)
        return self._lane

    def cacheable(self) -> bool:
        """Whether answers may be cached: only for the embedded store (see :mod:`lernnetz.api.cache`)."""
        return self.settings.api_cache and self.store is not None and self.store.backend == "networkx"

    def write(self, fn: Callable[[], T], *, changes: bool = True) -> T:
        """Run a write under the one write lock; afterwards the cache is invalidated."""
        with self.write_lock:
            result = fn()  # a failed write changed nothing (imports are atomic): no bump
            if changes:
                self.bump()
            return result

    def bump(self) -> None:
        """The graph changed: new generation, cache cleared, metadata re-read."""
        self.generation += 1
        self.cache.clear()
        self.refresh_metadata()
        self.warm()
        self.settle()

    def health(self) -> dict[str, Any]:
        """What ``GET /health`` says: never raises; ``status`` is ``unavailable`` when the store is down."""
        out: dict[str, Any] = {
            "status": "unavailable",
            "backend": self.store.backend if self.store is not None else self.settings.backend,
            "store_reachable": False,
            "stichtag": self.stichtag,
            "population_date": "",
            "nodes": {},
            "edges": {},
            "generation": self.generation,
            "detail": "",
            "hint": "",
            "attribution": self.attribution,
        }
        try:
            store = self.get_store()
            store.ping()
            info = store.info()
        except LernnetzError as exc:
            out.update(detail=exc.detail, hint=exc.hint)
            return out
        self._remember(info)  # e.g. Neo4j back after a start without it
        out.update(
            status="ok",
            store_reachable=True,
            stichtag=str(info.get("stichtag") or ""),
            population_date=str(info.get("population_date") or ""),
            nodes={str(k): int(v) for k, v in info.get("nodes", {}).items()},
            edges={str(k): int(v) for k, v in info.get("edges", {}).items()},
            attribution=self.attribution,
        )
        return out

    def close(self) -> None:
        """Close the store if the API opened it."""
        if self.owns_store and self.store is not None:
            self.store.close()
            self.store = None
            gc.unfreeze()
            if self._thresholds is not None:
                gc.set_threshold(*self._thresholds)
                self._thresholds = None


def get_state(request: Request) -> ApiState:
    """The app's :class:`ApiState`."""
    state: ApiState = request.app.state.lernnetz
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_store(request: Request) -> GraphStore:
    """The store, or 503 (``store_unavailable``/``no_graph``) with a hint."""
    state = get_state(request)
    store = state.ready()
    if store is not None:
        return store
    return await run_in_threadpool(state.get_store)  # reopening reads a snapshot: not on the event loop


StoreDep = Annotated[GraphStore, Depends(get_store)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="The API token from `LERNNETZ_API_TOKEN`, sent as `Authorization: Bearer <token>`.",
)


async def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """Write endpoints need ``Authorization: Bearer <token>`` matching ``LERNNETZ_API_TOKEN``.

    401 without (or with a malformed) header, 403 with a wrong token, 503 when the server
    has no token configured (writes are then switched off). The token is never logged.
    """
    expected = get_state(request).settings.api_token.get_secret_value()
    if not expected:
        raise ApiError(
            503,
            "auth_not_configured",
            "this server accepts no writes: no API token is configured",
            hint="set LERNNETZ_API_TOKEN on the server to enable imports",
        )
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401,
            "unauthorized",
            "this endpoint needs an API token",
            hint="send the header `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise ApiError(403, "forbidden", "the API token is wrong", hint="check LERNNETZ_API_TOKEN")


def attribution_headers(state: ApiState) -> list[tuple[bytes, bytes]]:
    """The licence headers every response carries."""
    return [
        (b"x-data-attribution", state.attribution_header.encode("ascii")),
        (b"link", f'<{LICENCE_URL}>; rel="license"'.encode("ascii")),
    ]
