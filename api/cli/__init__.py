"""The ``lernnetz`` command line: one typer app, its commands grouped by module.

Importing this package registers every command on :data:`app`; the console script
``lernnetz`` calls :func:`main`.
"""

from lernnetz.api.cli import analytics, data, imports, pictures, programme, serve
from lernnetz.api.cli.common import app

__all__ = ["analytics", "app", "data", "imports", "main", "pictures", "programme", "serve"]


def main() -> None:  # pragma: no cover - console entry point
    """Run the CLI."""
    app()
