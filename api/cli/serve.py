"""``lernnetz serve``: the HTTP API on uvicorn (``factory=True`` on ``lernnetz.api.main:create_app``)."""

from __future__ import annotations

import copy
from typing import Annotated, Any

import typer

from lernnetz.api.cli.common import app, console


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config plus the ``lernnetz`` loggers (request log with timing)."""
    from uvicorn.config import LOGGING_CONFIG

    cfg: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    cfg["loggers"]["lernnetz"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return cfg


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on (0.0.0.0 for all)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    reload: Annotated[bool, typer.Option(help="restart on code changes (development)")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes (each opens the store)")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Run the HTTP API on the configured store; the docs are at http://HOST:PORT/docs."""
    import uvicorn

    console.print(f"lernnetz API on http://{host}:{port}  (docs: http://{host}:{port}/docs)", highlight=False)
    uvicorn.run(
        "lernnetz.api.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=None if reload else workers,
        log_level=log_level.lower(),
        log_config=log_config(log_level),
        access_log=False,  # the API logs every request itself, with timing and without headers
    )
