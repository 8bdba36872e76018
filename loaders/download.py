"""Transfers for the reference data: stream a URL or a local file into a temporary file in
the cache dir, with a sha256, a completeness check against ``Content-Length`` and a progress
bar; the caller validates the file and moves it into place (:mod:`lernnetz.loaders.fetch`
for the register, :mod:`lernnetz.loaders.boundaries_fetch` for the BKG boundaries).

A failed or interrupted transfer raises :class:`FetchError` and leaves no temporary file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

from lernnetz.loaders.errors import InputError, Problem
from lernnetz.loaders.textio import write_text_atomic

LICENCE = "dl-de/by-2-0"
USER_AGENT = "lernnetz/0.1 (reference data fetch; Python urllib)"
CHUNK_BYTES = 1 << 16
FILE_MODE = 0o644
DIR_MODE = 0o755
#: HTTP statuses that mean "this edition is not published (yet)": try the year before.
NOT_PUBLISHED = frozenset({404, 410})
FROM_HINT = (
    "download the file yourself and run `lernnetz data fetch --from PATH_OR_URL` "
    "(a local file, a folder such as ../shared/data, or another URL)"
)


class FetchError(InputError):
    """Reference data could not be fetched: network, HTTP status, incomplete or invalid file.

    ``status`` is the HTTP status when the server answered with an error.
    """

    def __init__(self, problems: list[Problem] | Problem, *, status: int | None = None) -> None:
        super().__init__(problems)
        self.status = status

    @classmethod
    def at(cls, source: str | Path, message: str, *, status: int | None = None) -> FetchError:
        """An error about one source (URL or path)."""
        return cls(Problem(file=str(source), message=message), status=status)


class NotPublished(FetchError):
    """The edition is not on the server (404/410, or an HTML page instead of the file)."""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def is_url(source: str | Path) -> bool:
    """True for an http(s) URL."""
    return isinstance(source, str) and urlparse(source).scheme in {"http", "https"}


def url_name(url: str) -> str:
    return unquote(Path(urlparse(url).path).name)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def progress_bar(label: str, total: int | None, enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr; a no-op when disabled or stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    show = enabled and sys.stderr.isatty()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def stream_to_temp(
    reader: IO[bytes], dest_dir: Path, *, label: str, total: int | None, progress: bool, source: str
) -> tuple[Path, str, int]:
    """Copy ``reader`` into a temp file in ``dest_dir``; return (temp path, sha256, bytes).

    The temp file is removed on any failure.
    """
    import http.client

    fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=dest_dir)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    ok = False
    try:
        with os.fdopen(fd, "wb") as out, progress_bar(label, total, progress) as advance:
            while True:
                try:
                    chunk = reader.read(CHUNK_BYTES)
                except http.client.IncompleteRead as exc:
                    raise FetchError.at(
                        source, f"the transfer was interrupted after {size + len(exc.partial)} bytes"
                    ) from exc
                except (TimeoutError, OSError, http.client.HTTPException) as exc:
                    raise FetchError.at(
                        source, f"the transfer was interrupted after {size} bytes: {exc}"
                    ) from exc
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                advance(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if total is not None and size != total:
            raise FetchError.at(
                source,
                f"the transfer was interrupted: received {size} of {total} bytes (Content-Length); "
                "the previous file is kept",
            )
        if size == 0:
            raise FetchError.at(source, "the file is empty")
        tmp.chmod(FILE_MODE)  # mkstemp makes 0600; the cache is an ordinary readable file
        ok = True
        return tmp, digest.hexdigest(), size
    finally:
        if not ok:
            tmp.unlink(missing_ok=True)


def open_url(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        cls = NotPublished if exc.code in NOT_PUBLISHED else FetchError
        raise cls.at(url, f"HTTP {exc.code} {exc.reason}", status=exc.code) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError.at(url, f"network error ({reason}); no connection? {FROM_HINT}") from exc


def download(url: str, dest_dir: Path, *, timeout: float, progress: bool) -> tuple[Path, str, int]:
    with open_url(url, timeout) as response:
        content_type = response.headers.get_content_type()
        if content_type == "text/html":
            raise NotPublished.at(
                url, f"the server answered with an HTML page (HTTP {response.status}), not the file"
            )
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        return stream_to_temp(
            response, dest_dir, label=url_name(url) or url, total=total, progress=progress, source=url
        )


def copy_file(path: Path, dest_dir: Path, *, progress: bool) -> tuple[Path, str, int]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise FetchError.at(path, f"cannot read the file: {exc.strerror}") from exc
    with fh:
        return stream_to_temp(
            fh, dest_dir, label=path.name, total=path.stat().st_size, progress=progress, source=str(path)
        )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()
