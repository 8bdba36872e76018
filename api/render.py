"""Turning query results into responses: JSON (validated against the response schema), CSV,
GeoJSON or HTML; pagination; the response cache.

Routes hand :func:`respond` a function that computes a :class:`Result`; :func:`respond` runs
it in the thread pool (the store and pandas are blocking), renders the chosen format and keeps
the bytes in the cache (see :mod:`lernnetz.api.cache`).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import anyio.to_thread
import orjson
import pandas as pd
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lernnetz.api.cache import Rendered
from lernnetz.api.deps import get_state
from lernnetz.graph.analytics.frames import Rows
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.jsonsafe import py

TableFormat = Literal["json", "csv", "excel-csv", "xlsx"]
PlaceFormat = Literal["json", "csv", "excel-csv", "xlsx", "geojson"]
MAX_LIMIT = 1000
#: ``?limit=all``: every row in one response (full export).
ALL_ROWS = 1_000_000_000
#: ``respond(fast=True)`` serialises with orjson, skipping the response model's validation;
#: tests switch it off to compare the bytes with the validated answer.
FAST_JSON = True

_FORMATS_TEXT = (
    "`json` (default), `csv` (plain CSV: `,`, UTF-8; lists joined with `; `), `excel-csv` (for German "
    "Excel: `;`, decimal comma, UTF-8 with BOM) or `xlsx` (a workbook: the table and a sheet `Quelle` "
    "with source, attribution and row count)"
)
TableFormatQuery = Annotated[TableFormat, Query(alias="format", description=_FORMATS_TEXT + ".")]
PlaceFormatQuery = Annotated[
    PlaceFormat,
    Query(
        alias="format",
        description=_FORMATS_TEXT + " or `geojson` (a FeatureCollection of points at the official centre "
        "coordinates, for QGIS or a web map; `numberMatched`/`numberReturned` give the row counts).",
    ),
]


LimitQuery = Annotated[
    Annotated[int, Field(ge=1, le=MAX_LIMIT)] | Literal["all"],
    Query(
        description=f"Page size: at most this many rows (1 … {MAX_LIMIT}), or `all` for every row in one "
        "response (full export; the body states the row count).",
    ),
]
OffsetQuery = Annotated[
    int, Query(ge=0, le=10_000_000, description="Skip this many rows (for the next page).")
]

CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
    content: dict[str, Any] = {
        "text/csv": {"schema": {"type": "string"}},
        XLSX_MEDIA: {"schema": {"type": "string", "format": "binary"}},
    }
    if geojson:
        content[GEOJSON_MEDIA] = {"schema": GEOJSON_SCHEMA}
    return {200: {"content": content}}


@dataclass(slots=True)
class Result:
    """What a route computed: the JSON document and, for CSV/GeoJSON, the table of rows."""

    payload: dict[str, Any] = field(default_factory=dict)
    #: an analytic's :class:`~lernnetz.graph.analytics.frames.Rows` become a frame only when a
    #: table format asks for one
    table: pd.DataFrame | Rows | None = None
    total: int | None = None
    html: str | None = None
    filename: str = "lernnetz"
    #: for ``xlsx``: several tables, one sheet each (default: ``table`` alone)
    sheets: dict[str, pd.DataFrame] | None = None
    #: a ready body in another format (GraphML, GEXF): (bytes, media type, file suffix)
    raw: tuple[bytes, str, str] | None = None
    #: GeoJSON other than points from lat/lon (e.g. territories): ``(table, attribution) -> doc``
    geojson: Callable[[pd.DataFrame, str], dict[str, Any]] | None = None


def page(
    df: pd.DataFrame | Rows, limit: int | str, offset: int, *, filename: str = "lernnetz", **extra: Any
) -> Result:
    """One page of a table: ``{"total", "limit", "offset", "items", **extra}`` (DataFrames as rows).
    ``limit="all"``: every row from ``offset`` on (``limit`` in the body is then the row count).
    An analytic's :class:`Rows` are paged as rows (the same page as their frame's)."""
    if limit == "all":
        limit = ALL_ROWS
    elif not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}, or 'all' (got {limit!r})")
    stop = None if limit >= ALL_ROWS else offset + limit
    part = df.part(offset, stop) if isinstance(df, Rows) else df.iloc[offset:stop]
    if limit >= ALL_ROWS:
        limit = max(len(part), 1)
    payload = {"total": len(df), "limit": limit, "offset": offset, "items": part, **extra}
    # an empty analytic answer says why and what would help (always present, as in the schema)
    payload.setdefault("notes", list(df.attrs.get("notes") or []))
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


def json_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``df`` for orjson (the fast path of :func:`respond`): one conversion of the
    table, a dict per row, no scan for missing cells: orjson writes a NaN as ``null``, as it
    writes the ``None`` :func:`rows` puts there, and refuses ``pd.NA`` (then :func:`rows`)."""
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, values, strict=True)) for values in df.to_numpy(dtype=object).tolist()]


def _for_model(payload: dict[str, Any], fast: bool = False) -> dict[str, Any]:
    convert = json_rows if fast else rows
    return {
        k: convert(v) if isinstance(v, pd.DataFrame) else v.records() if isinstance(v, Rows) else v
        for k, v in payload.items()
    }


def _render(
    compute: Callable[[], Result],
    model: type[BaseModel] | None,
    fmt: str,
    attribution: str,
    fast: bool = False,
) -> Rendered:
    result = compute()
    table = result.table
    if isinstance(table, Rows):  # a frame only for the table formats (JSON serialises the rows)
        table = None if fmt == "json" else table.frame()
    headers: list[tuple[str, str]] = []
    if result.total is not None:
        headers.append(("x-total-count", str(result.total)))
    if result.html is not None:
        return Rendered(result.html.encode("utf-8"), HTML_MEDIA, tuple(headers))
    if result.raw is not None:
        body, media, suffix = result.raw
        headers.append(("content-disposition", f'attachment; filename="{result.filename}{suffix}"'))
        return Rendered(body, media, tuple(headers))
    if fmt in {"csv", "excel-csv"} and table is not None:
        from lernnetz.graph.pictures.tables import to_csv

        suffix = "-excel.csv" if fmt == "excel-csv" else ".csv"
        headers.append(("content-disposition", f'attachment; filename="{result.filename}{suffix}"'))
        body = to_csv(table, "excel" if fmt == "excel-csv" else "plain")
        return Rendered(body, CSV_MEDIA, tuple(headers))
    if fmt == "xlsx" and table is not None:
        from lernnetz.graph.pictures.tables import to_xlsx

        headers.append(("content-disposition", f'attachment; filename="{result.filename}.xlsx"'))
        notes = {} if result.total is None else {"Zeilen gesamt / total rows": str(result.total)}
        body = to_xlsx(
            result.sheets or {result.filename: table},
            source="lernnetz API",
            attribution=attribution,
            notes=notes,
        )
        return Rendered(body, XLSX_MEDIA, tuple(headers))
    if fmt == "geojson" and table is not None:
        from lernnetz.graph.pictures.export import to_geojson

        if result.geojson is not None:
            doc = result.geojson(table, attribution)
        else:
            doc = to_geojson(table, attribution=attribution)
        doc["numberReturned"] = len(table)
        if result.total is not None:
            doc["numberMatched"] = result.total
        body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        return Rendered(body, GEOJSON_MEDIA, tuple(headers))
    if fast:  # already typed: serialised directly (tests compare with the validated bytes)
        try:
            body = orjson.dumps(_for_model(result.payload, fast=True), option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError:  # a cell orjson takes only converted (pd.NA): the general conversion
            body = orjson.dumps(_for_model(result.payload), option=orjson.OPT_SERIALIZE_NUMPY)
        return Rendered(body, "application/json", tuple(headers))
    payload = _for_model(result.payload)
    if model is None:
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
    """Compute (in a thread: the API's lane, see :meth:`ApiState.lane`), render and cache one answer.

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
            anyio.to_thread.run_sync(
                _render, compute, model, fmt, state.attribution, fast and FAST_JSON,
                limiter=None if heavy else state.lane(),  # heavy ones: the shared pool, behind the gate
            )
        )  # fmt: skip

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
