"""One writer at a time: the lock that every write of the graph and its ledger goes through.

The embedded store keeps its graph in a snapshot file and the participation ledger beside
it; several processes (CLI commands, API workers, notebooks) may want to change them at
once. Every read-modify-write of snapshot or ledger (``load``, imports, ``demo-data`` and
removals, from the CLI, the API or the Python face) runs inside :func:`exclusive`:

* an OS file lock (``filelock``) on ``lernnetz.lock`` in the data directory, so writers in
  any process on the machine take turns; a writer waits at most ``LERNNETZ_LOCK_TIMEOUT``
  seconds (default 120) and then fails with :class:`~lernnetz.graph.errors.Busy` (CLI exit 1,
  API 503 with ``Retry-After``), having changed nothing;
* inside the lock a writer first catches up with what others wrote (the store re-reads a
  newer snapshot: :meth:`GraphStore.refresh`), then reads the ledger afresh, so no
  acknowledged row of another writer is ever written over;
* temp files that a killed writer left behind are swept.

The lock is released by the OS when a process dies, so a ``kill -9`` never wedges it.
Readers take no lock: snapshot and ledger are replaced atomically, so a reader sees the
old or the new state, and long-lived readers (the API, the face) notice a newer snapshot
and swap it in between requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from lernnetz.graph.errors import Busy
from lernnetz.graph.settings import Settings
from lernnetz.loaders.textio import remove_stale_temp_files

LOCK_NAME = "lernnetz.lock"


@contextmanager
def exclusive(settings: Settings) -> Iterator[None]:
    """Hold the data directory's write lock for the block (see the module docstring)."""
    folder = settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_NAME, timeout=settings.lock_timeout_s)
    started = time.monotonic()
    try:
        lock.acquire()
    except Timeout:
        raise Busy(
            f"another lernnetz writer has held {folder / LOCK_NAME} for over "
            f"{time.monotonic() - started:.0f} s (a load or an import); nothing was changed",
            hint="try again when it has finished, or raise LERNNETZ_LOCK_TIMEOUT",
        ) from None
    try:
        remove_stale_temp_files(folder, older_than_s=0.0)  # every writer here holds this lock
        yield
    finally:
        lock.release()
