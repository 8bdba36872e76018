"""pytest plugin: run the suite on pytest-xdist workers, keeping each test group on one worker.

``pyproject.toml`` runs ``-n 2 --dist loadgroup``. A *group* is a set of tests that must run
on one worker, one after the other, in collection order (as in a serial run); every other
test module (or class) is a unit of work of its own, handed to whichever worker is free. The
groups come from :func:`group_of`: the Neo4j groups of :func:`tests.neo4j_fixtures.neo4j_group`
(the Neo4j tests share one database) and any ``xdist_group`` mark.

Why not xdist's own ``loadgroup`` scheduler: a worker tells the controller a test's group by
appending ``@group`` to the test's node id, and on pytest 9.2 that change no longer takes
effect (pytest-xdist issue 1386). Nothing fails: every test is scheduled as if it had no group,
and the Neo4j tests then ran on both workers at once, one wiping the database while the other
read it ("no graph is loaded"). Here the group of every collected test travels explicitly:
each worker writes them to a file in a folder that the controller made (its path in the
environment variable :data:`ENV`) before it reports its collection, and the controller's
scheduler (:func:`pytest_xdist_make_scheduler`) reads them before it hands out any work. If
the groups cannot be read, the run stops instead of racing.

xdist's scheduling by scope keys the tests by node id, and on pytest 9.2 the tests that
schemathesis generates (one per API operation) share one node id: keyed naively, 38 of them
were silently never run. :func:`unique_ids` numbers the repeats before the scheduler sees them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.neo4j_fixtures import neo4j_group

#: The folder in which the workers leave the groups of their tests (set by the controller).
ENV = "LERNNETZ_XDIST_GROUPS"


def group_of(item: pytest.Item) -> str | None:
    """The group an item must run in, or ``None`` (xdist_group marks joined as xdist does)."""
    marked = {
        str(m.args[0] if m.args else m.kwargs.get("name", "default"))
        for m in item.iter_markers("xdist_group")
    }
    neo4j = neo4j_group(item)
    if neo4j is not None:
        marked.add(neo4j)
    return "_".join(sorted(marked)) or None


#: Separates a repeated node id from its number in :func:`unique_ids` (never in a real node id).
REPEAT = "\x00"


def unique_ids(collection: Sequence[str]) -> list[str]:
    """The node ids with every repeat numbered (``id``, ``id\\x001``, ``id\\x002`` …), in order."""
    seen: Counter[str] = Counter()
    out = []
    for nodeid in collection:
        out.append(f"{nodeid}{REPEAT}{seen[nodeid]}" if seen[nodeid] else nodeid)
        seen[nodeid] += 1
    return out


def _grouping(config: pytest.Config) -> bool:
    """True in the controller of a run with workers and ``--dist loadgroup``."""
    return (
        not hasattr(config, "workerinput")
        and bool(config.getoption("numprocesses", None))
        and config.getoption("dist", "no") == "loadgroup"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Controller: make the folder for the workers' groups (the workers inherit ``ENV``)."""
    if not _grouping(config):
        return
    folder = tempfile.mkdtemp(prefix="lernnetz-xdist-groups-")
    os.environ[ENV] = folder

    def cleanup() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get(ENV) == folder:
            del os.environ[ENV]

    config.add_cleanup(cleanup)


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reports the collection to the controller
def pytest_collection_finish(session: pytest.Session) -> None:
    """Worker: write the group of every collected test (node id → group) and which are slow."""
    worker: dict[str, Any] | None = getattr(session.config, "workerinput", None)
    folder = os.environ.get(ENV)
    if worker is None or not folder:
        return
    groups = {item.nodeid: g for item in session.items if (g := group_of(item)) is not None}
    slow = sorted({item.nodeid for item in session.items if item.get_closest_marker("slow")})
    path = Path(folder) / f"{worker['workerid']}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"groups": groups, "slow": slow}), encoding="utf-8")
    tmp.replace(path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Controller: ``--dist loadgroup`` with the groups the workers wrote (see module docstring).

    The units are handed out longest first, as far as the names tell: the groups (the Neo4j
    group is the longest unit of the suite), then the modules with a test marked ``slow``, then
    the rest by number of tests; the many small units at the end even out the two workers."""
    if not _grouping(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    folder = Path(os.environ[ENV])

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        """Units of work: each group whole, every other test module (or class) whole."""

        def __init__(self, config: pytest.Config, log: Any) -> None:
            super().__init__(config, log)
            self.groups: dict[str, str] | None = None
            self.slow: set[str] = set()
            self.ordered = False

        def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
            super().add_node_collection(node, unique_ids(collection))

        def _read(self) -> dict[str, str]:
            if self.groups is None:
                files = sorted(folder.glob("*.json"))
                if not files:
                    raise RuntimeError(f"no worker wrote the groups of its tests into {folder}")
                self.groups, self.slow = {}, set()
                for f in files:
                    data = json.loads(f.read_text(encoding="utf-8"))
                    self.groups.update(data["groups"])
                    self.slow.update(data["slow"])
            return self.groups

        def _split_scope(self, nodeid: str) -> str:
            nodeid = nodeid.split(REPEAT, 1)[0]
            group = self._read().get(nodeid)
            return f"group:{group}" if group is not None else str(super()._split_scope(nodeid))

        def _priority(self, unit: tuple[str, dict[str, bool]]) -> tuple[int, int]:
            scope, tests = unit
            slow = any(t.split(REPEAT, 1)[0] in self.slow for t in tests)
            return (0 if scope.startswith("group:") else 1 if slow else 2, -len(tests))

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:  # the first assignment: the work queue is complete
                units = sorted(self.workqueue.items(), key=self._priority)
                self.workqueue.clear()
                self.workqueue.update(units)
                self.ordered = True
            super()._assign_work_unit(node)

    return GroupScheduling(config, log)
