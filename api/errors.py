"""One error body everywhere, produced by ONE exception handler.

Every error response of the API has the body ``{"error": code, "detail": text, "hint": text}``
(plus ``"candidates"`` for 409 Ambiguous). The status codes:

=====  ==========================  =================================================
code   ``error``                   cause
=====  ==========================  =================================================
400    ``bad_request``             the request is not what the endpoint reads (e.g. not multipart)
401    ``unauthorized``            write endpoint called without ``Authorization: Bearer …``
403    ``forbidden``               wrong bearer token
404    ``not_found``               unknown AGS, project id, event id, topic or region; unknown path
405    ``method_not_allowed``      e.g. POST on a read-only resource
409    ``ambiguous``               a name that fits several places ("Neustadt"); ``candidates`` lists them
413    ``payload_too_large``       upload above 20 MB
422    ``invalid_request`` /       a parameter outside its range or set (radius, format, limit …),
       ``invalid_argument`` /      or an uploaded file with bad content (names file, row, column, value)
       ``invalid_input`` /
       ``region_too_large``        (a learning-network region beyond the size budget: narrow it)
503    ``store_unavailable`` /     the store cannot be reached, holds no graph yet, or no API token is
       ``no_graph`` / …            configured for a write endpoint
503    ``busy`` / ``too_slow``     heavy analytics (learning networks, event plans, white spots,
                                   connections): all slots taken, or not ready within the time
                                   budget; ``Retry-After`` says when to ask again
=====  ==========================  =================================================
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lernnetz.graph.errors import (
    Ambiguous,
    Busy,
    InvalidArgument,
    LernnetzError,
    NoGraph,
    NotFound,
    StoreUnavailable,
)
from lernnetz.loaders.errors import InputError

log = logging.getLogger("lernnetz.api")

#: Domain error class → HTTP status (the most specific class wins: NoGraph before StoreUnavailable).
DOMAIN_STATUS: list[tuple[type[LernnetzError], int]] = [
    (NotFound, 404),
    (Ambiguous, 409),
    (InvalidArgument, 422),
    (NoGraph, 503),
    (StoreUnavailable, 503),
]

#: Seconds a client should wait after a 503 ``busy`` (another writer holds the write lock).
BUSY_RETRY_AFTER_S = 5

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An error raised by the API layer itself (authentication, upload limits)."""

    def __init__(
        self, status: int, code: str, detail: str, *, hint: str = "", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.hint = hint
        self.headers = headers


def error_body(
    code: str, detail: str, hint: str = "", candidates: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The one error body."""
    body: dict[str, Any] = {"error": code, "detail": detail, "hint": hint}
    if candidates is not None:
        body["candidates"] = candidates
    return body


def _validation_text(exc: RequestValidationError) -> tuple[str, str]:
    parts, hints = [], []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        where = f"{loc[0]} parameter {'.'.join(loc[1:])!r}" if len(loc) > 1 else ".".join(loc) or "request"
        text = f"{where}: {e.get('msg', 'invalid')}"
        if "input" in e and e["input"] is not None and not isinstance(e["input"], dict):
            text += f" (got {str(e['input'])[:80]!r})"
        parts.append(text)
        expected = (e.get("ctx") or {}).get("expected")
        if expected:
            hints.append(f"{'.'.join(loc[1:]) or where}: expected {expected}")
    hint = "; ".join(hints) or "see /docs for every parameter's allowed values and an example"
    return "; ".join(parts) or "invalid request", hint


def _domain_status(exc: LernnetzError) -> int:
    for cls, status in DOMAIN_STATUS:
        if isinstance(exc, cls):
            return status
    return 400


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """THE exception handler: every error becomes the one error body with the right status."""
    headers: dict[str, str] | None = None
    candidates = None
    if isinstance(exc, Ambiguous):
        status, code, detail, hint = 409, exc.code, exc.detail, exc.hint
        candidates = exc.candidates
    elif isinstance(exc, LernnetzError):
        status, code, detail, hint = _domain_status(exc), exc.code, exc.detail, exc.hint
        candidates = getattr(exc, "candidates", None) or None  # "did you mean" of a NotFound
        if isinstance(exc, Busy):
            headers = {"Retry-After": str(BUSY_RETRY_AFTER_S)}
    elif isinstance(exc, InputError):
        status, code, detail = 422, "invalid_input", str(exc)
        hint = "fix the rows named above (file, row, column, value) and upload again; nothing was imported"
    elif isinstance(exc, ApiError):
        status, code, detail, hint, headers = exc.status, exc.code, exc.detail, exc.hint, exc.headers
    elif isinstance(exc, RequestValidationError):
        status, code = 422, "invalid_request"
        detail, hint = _validation_text(exc)
    elif isinstance(exc, StarletteHTTPException):
        status, code = exc.status_code, HTTP_CODES.get(exc.status_code, "http_error")
        detail = str(exc.detail)
        hint = "GET /docs lists every endpoint" if status in (404, 405) else ""
        headers = dict(exc.headers) if exc.headers else None
    else:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        status, code = 500, "internal_error"
        detail, hint = "internal error", "this is a bug in lernnetz; the server log has the details"
    if status >= 500:
        log.warning("%s %s -> %d %s: %s", request.method, request.url.path, status, code, detail)
    return JSONResponse(error_body(code, detail, hint, candidates), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Route every error class to :func:`handle_error`."""
    for cls in (
        LernnetzError,
        InputError,
        ApiError,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(cls, handle_error)
