"""``python -m lernnetz.api.cli``: the same as the ``lernnetz`` command."""

from lernnetz.api.cli import main

main()
