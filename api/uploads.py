"""Reading an uploaded file safely: multipart only, ≤ 20 MB, CSV or XLSX, into a temporary file.

The body is read only after authentication (the route declares no body parameter, so FastAPI
does not parse it before the auth dependency runs). The size limit is enforced twice: from
``Content-Length`` before reading anything, and by counting the bytes actually received (for
chunked uploads without a length).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.types import Message, Receive

from lernnetz.api.errors import ApiError
from lernnetz.loaders.errors import InputError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")

#: The OpenAPI request body of an upload endpoint.
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The list as CSV (UTF-8) or XLSX, at most 20 MB.",
                        }
                    },
                }
            }
        },
    }
}


def _too_large() -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
        hint="split the list into several files",
    )


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large()
        return message

    return receive_limited


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[^\w.\- ]", "_", base)[:120] or "upload"


async def receive_upload(request: Request, field: str = "file") -> tuple[str, bytes]:
    """The uploaded file's (name, content); 400/413/422 with the error body otherwise."""
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise ApiError(
            400,
            "bad_request",
            f"expected a multipart/form-data upload, got content type {ctype or 'none'!r}",
            hint="curl -F file=@registrations.csv …",
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
        raise _too_large()
    limited = Request(request.scope, _limited(request.receive, MAX_UPLOAD_BYTES))
    form = await limited.form(max_files=1, max_fields=10)
    try:
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            raise ApiError(
                422,
                "invalid_request",
                f"the multipart body has no file field {field!r}",
                hint="send the list as the form field `file`, e.g. curl -F file=@registrations.csv …",
            )
        name = _safe_name(upload.filename or "upload")
        if not name.lower().endswith(SUFFIXES):
            raise ApiError(
                422,
                "invalid_request",
                f"{name!r} is neither a .csv nor an .xlsx file",
                hint="upload the list as a .csv (UTF-8) or .xlsx file",
            )
        content = await upload.read()
    finally:
        await form.close()
    if len(content) > MAX_UPLOAD_BYTES:
        raise _too_large()
    return name, content


@contextmanager
def as_file(name: str, content: bytes) -> Iterator[Path]:
    """The upload as a temporary file named like the original; errors name the original file."""
    tmp = Path(tempfile.mkdtemp(prefix="lernnetz-upload-"))
    path = tmp / name
    try:
        path.write_bytes(content)
        try:
            yield path
        except InputError as exc:
            raise InputError(
                [dataclasses.replace(p, file=p.file.replace(str(path), name)) for p in exc.problems]
            ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
