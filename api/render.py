"""Turning query results into responses: JSON (validated against the response schema), CSV,
GeoJSON or HTML; pagination; the response cache.

Routes hand :func:`respond` a function that computes a :class:`Result`; :func:`respond` runs
it in the thread pool (the store and pandas are blocking), renders the chosen format and keeps
the bytes in the cache (see :mod:`lernnetz.api.cache`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import orjson
import pandas as pd
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from lernnetz.api.cache import Rendered
from lernnetz.api.deps import get_state
from lernnetz.graph.jsonsafe import py

TableFormat = Literal["json", "csv"]
PlaceFormat = Literal["json", "csv", "geojson"]
MAX_LIMIT = 1000
#: ``respond(fast=True)`` serialises with orjson, skipping the response model's validation;
#: tests switch it off to compare the bytes with the validated answer.
FAST_JSON = True

TableFormatQuery = Annotated[
    TableFormat,
    Query(alias="format", description="`json` (default) or `csv` (the rows as a CSV table, UTF-8)."),
]
PlaceFormatQuery = Annotated[
    PlaceFormat,
    Query(
        alias="format",
        description="`json` (default), `csv` (the rows as a CSV table, UTF-8) or `geojson` "
        "(a FeatureCollection of points at the official centre coordinates, for QGIS or a web map).",
    ),
]
LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size: at most this many rows (1 … {MAX_LIMIT}).")
]
OffsetQuery = Annotated[
    int, Query(ge=0, le=10_000_000, description="Skip this many rows (for the next page).")
]

CSV_MEDIA = "text/csv; charset=utf-8"
GEOJSON_MEDIA = "application/geo+json"
HTML_MEDIA = "text/html; charset=utf-8"

#: OpenAPI ``responses`` entry for table endpoints that also answer as CSV / GeoJSON.
GEOJSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"type": "object"}},
    },
}


def alt_formats(*, geojson: bool) -> dict[int | str, dict[str, Any]]:
    """The 200 response's extra media types for the OpenAPI document."""
    content: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}
    if geojson:
        content[GEOJSON_MEDIA] = {"schema": GEOJSON_SCHEMA}
    return {200: {"content": content}}


@dataclass(slots=True)
class Result:
    """What a route computed: the JSON document and, for CSV/GeoJSON, the table of rows."""

    payload: dict[str, Any] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    total: int | None = None
    html: str | None = None
    filename: str = "lernnetz"


def page(df: pd.DataFrame, limit: int, offset: int, *, filename: str = "lernnetz", **extra: Any) -> Result:
    """One page of a table: ``{"total", "limit", "offset", "items", **extra}`` (DataFrames as rows)."""
    part = df.iloc[offset : offset + limit]
    payload = {"total": len(df), "limit": limit, "offset": offset, "items": part, **extra}
    return Result(payload=payload, table=part, total=len(df), filename=filename)


def document(
    payload: dict[str, Any], table: pd.DataFrame | None = None, *, filename: str = "lernnetz"
) -> Result:
    """A JSON document (DataFrame values become lists of rows; ``table`` is what CSV/GeoJSON export)."""
    return Result(
        payload=payload, table=table, total=None if table is None else len(table), filename=filename
    )


def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for the response model: plain Python scalars (one conversion of the whole table),
    missing cells (NaN, ``pd.NA``) as ``None``; nested values are left to the pydantic model
    (it accepts numpy scalars and arrays)."""
    cols = [str(c) for c in df.columns]
    out = [dict(zip(cols, values, strict=True)) for values in df.to_numpy(dtype=object).tolist()]
    for r in out:
        for k, v in r.items():
            if (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
                r[k] = None
    return out


def _for_model(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: rows(v) if isinstance(v, pd.DataFrame) else v for k, v in payload.items()}


def _cell(v: Any) -> Any:
    v = py(v)
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else v


def to_csv(df: pd.DataFrame) -> bytes:
    """The table as CSV; list and dict cells as JSON text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        w.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _render(
    compute: Callable[[], Result],
    model: type[BaseModel] | None,
    fmt: str,
    attribution: str,
    fast: bool = False,
) -> Rendered:
    result = compute()
    headers: list[tuple[str, str]] = []
    if result.total is not None:
        headers.append(("x-total-count", str(result.total)))
    if result.html is not None:
        return Rendered(result.html.encode("utf-8"), HTML_MEDIA, tuple(headers))
    if fmt == "csv" and result.table is not None:
        headers.append(("content-disposition", f'attachment; filename="{result.filename}.csv"'))
        return Rendered(to_csv(result.table), CSV_MEDIA, tuple(headers))
    if fmt == "geojson" and result.table is not None:
        from lernnetz.graph.pictures.export import to_geojson

        body = json.dumps(to_geojson(result.table, attribution=attribution), ensure_ascii=False).encode(
            "utf-8"
        )
        return Rendered(body, GEOJSON_MEDIA, tuple(headers))
    payload = _for_model(result.payload)
    if fast:  # already typed: serialised directly (tests compare with the validated bytes)
        body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    elif model is None:
        body = json.dumps(py(payload), ensure_ascii=False).encode("utf-8")
    else:  # validated once against the response schema, serialised once; the cache keeps the bytes
        body = model.model_validate(payload).model_dump_json().encode("utf-8")
    return Rendered(body, "application/json", tuple(headers))


async def respond(
    request: Request,
    compute: Callable[[], Result],
    *,
    model: type[BaseModel] | None,
    fmt: str = "json",
    heavy: bool = False,
    fast: bool = False,
) -> Response:
    """Compute (in the thread pool), render and cache one answer.

    Identical requests in flight at the same time are computed once (single-flight). ``heavy``
    answers take a slot of the heavy-work gate (none free → 503 ``busy`` with ``Retry-After`` at
    once) and get the time budget (not ready in time → 503 ``too_slow``; the computation goes on,
    holds its slot until done and is cached for the retry). ``fast`` serialises with orjson
    without validating against ``model`` (for payloads already typed; tests check the bytes
    equal the validated ones)."""
    state = get_state(request)
    key = (state.generation, request.url.path, tuple(sorted(request.query_params.multi_items())))
    cacheable = state.cacheable()
    if cacheable:
        hit = state.cache.get(key)
        if hit is not None:
            return _response(hit)
    fut = state.flights.get(key)
    if fut is None:
        gate = state.heavy if heavy else None
        if gate is not None:
            gate.enter()  # 503 busy when full
        fut = state.flights.start(key)
        task = asyncio.ensure_future(
            run_in_threadpool(_render, compute, model, fmt, state.attribution, fast and FAST_JSON)
        )

        def done(t: asyncio.Future[Rendered], fut: asyncio.Future[Rendered] = fut) -> None:
            if gate is not None:
                gate.leave()
            if cacheable and not t.cancelled() and t.exception() is None:
                state.cache.put(key, t.result())
            state.flights.finish(key, fut, t)

        task.add_done_callback(done)
    try:
        if heavy:
            rendered = await asyncio.wait_for(asyncio.shield(fut), timeout=state.heavy.budget_s)
        else:
            rendered = await asyncio.shield(fut)
    except TimeoutError:
        raise state.heavy.too_slow() from None
    return _response(rendered)


def _response(r: Rendered) -> Response:
    return Response(r.body, media_type=r.media_type, headers=dict(r.headers))
