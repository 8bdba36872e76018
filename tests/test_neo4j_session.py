"""How the Neo4j store runs a statement (:mod:`lernnetz.graph.store.neo4j_session`), on a real server.

* A read is one auto-commit query: the server accepts ``CALL { … } IN TRANSACTIONS`` only
  outside an explicit transaction, so the same statement succeeds as a read and fails as a
  write (which still runs in ``execute_query``'s managed transaction).
* A read failing with an error the driver retries (the connection lost, the server gone) is run
  again by ``execute_query``, whose retries and errors are those of before.
* Any other error is raised at once, as ``execute_query``'s first attempt would have, and
  ``execute_query`` is not called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from neo4j import Driver
from neo4j.exceptions import (
    ConnectionAcquisitionTimeoutError,
    CypherSyntaxError,
    DatabaseError,
    DriverError,
    ServiceUnavailable,
    SessionExpired,
)

from lernnetz.graph.errors import StoreUnavailable
from lernnetz.graph.store import neo4j_session
from lernnetz.graph.store.neo4j_store import Neo4jStore

pytestmark = pytest.mark.neo4j

IMPLICIT_ONLY = "CALL () { RETURN 1 AS x } IN TRANSACTIONS RETURN x"


def spy_execute_query(driver: Driver, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the statements the driver's ``execute_query`` runs (and run them)."""
    calls: list[str] = []
    real = driver.execute_query

    def spy(query: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(query))
        return real(query, *args, **kwargs)

    monkeypatch.setattr(driver, "execute_query", spy)
    return calls


def failing_read(errors: list[DriverError]) -> Callable[..., list[list[Any]]]:
    """A stand-in for :func:`neo4j_session.read` raising ``errors`` in turn, then reading."""
    real = neo4j_session.read

    def read(*args: Any) -> list[list[Any]]:
        if errors:
            raise errors.pop(0)
        return real(*args)

    return read


def test_a_read_is_one_auto_commit_query_a_write_a_managed_transaction(
    neo4j_driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Neo4jStore(neo4j_driver)
    calls = spy_execute_query(neo4j_driver, monkeypatch)
    assert store._run(IMPLICIT_ONLY) == [[1]]
    assert store._run("UNWIND range(1, 2500) AS i RETURN i") == [[i] for i in range(1, 2501)]  # all pulled
    assert calls == []
    with pytest.raises(DatabaseError, match="implicit transaction"):
        store._run(IMPLICIT_ONLY, write=True)
    assert calls == [IMPLICIT_ONLY]


@pytest.mark.parametrize("error", [SessionExpired("connection lost"), ServiceUnavailable("server gone")])
def test_a_read_failing_retryably_is_run_again_by_execute_query(
    neo4j_driver: Driver, monkeypatch: pytest.MonkeyPatch, error: DriverError
) -> None:
    store = Neo4jStore(neo4j_driver)
    calls = spy_execute_query(neo4j_driver, monkeypatch)
    monkeypatch.setattr(neo4j_session, "read", failing_read([error]))
    assert store._run("RETURN $x AS x", x=7) == [[7]]
    assert calls == ["RETURN $x AS x"] and not store._down
    assert store._run("RETURN $x AS x", x=8) == [[8]]  # the next read: auto-commit again
    assert calls == ["RETURN $x AS x"]


def test_a_read_failing_otherwise_raises_at_once(
    neo4j_driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Neo4jStore(neo4j_driver)
    calls = spy_execute_query(neo4j_driver, monkeypatch)
    with pytest.raises(CypherSyntaxError):
        store._run("RETURN RETURN")
    # a full pool: execute_query does not retry it either; StoreUnavailable, the outage remembered
    monkeypatch.setattr(neo4j_session, "read", failing_read([ConnectionAcquisitionTimeoutError("pool full")]))
    with pytest.raises(StoreUnavailable, match="not reachable"):
        store._run("RETURN 1")
    assert calls == [] and store._down
    assert store._run("RETURN 1") == [[1]] and not store._down  # one check, then served again
