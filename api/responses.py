"""OpenAPI ``responses`` entries for the error statuses (all with the one error body)."""

from __future__ import annotations

from typing import Any

from lernnetz.api.schemas import ErrorBody

_TEXT = {
    400: "The request is not what the endpoint reads.",
    401: "No API token (send `Authorization: Bearer <token>`).",
    403: "Wrong API token.",
    404: "Unknown key, name or topic; the hint says how to find the right one.",
    409: "The name fits several places; `candidates` lists them — repeat with a key.",
    413: "Upload larger than 20 MB.",
    422: "A parameter outside its range or set (the detail names it), or a file with bad content.",
    503: "The store cannot be reached or holds no graph yet (or, for writes, no API token is configured).",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries for these error statuses."""
    return {c: {"model": ErrorBody, "description": _TEXT[c]} for c in codes}
