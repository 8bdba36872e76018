"""How the Neo4j store runs one statement (:func:`run`): a read as one auto-commit query (one
round trip), with the managed transaction of ``driver.execute_query`` and its retries as the
fallback; a write as before, through ``execute_query``.

``driver.execute_query`` runs every statement in a managed transaction: BEGIN, RUN and PULL
pipelined, then COMMIT — two round trips to the server. The store's reads are single
statements that return a few packed records, and every question pays one (the pointer read of
:meth:`lernnetz.graph.store.neo4j_store.Neo4jStore._state`), so :func:`read` sends them as an
auto-commit query instead (``Session.run``: RUN and PULL pipelined, one round trip), in a session
that

* is opened per call (sessions are cheap and not thread-safe; the connection comes from the
  driver's pool and goes back to it when the result is consumed),
* reads (``default_access_mode=READ``, as ``routing_=READ``) every record in one PULL
  (``fetch_size=-1``; the tables are packed into one record anyway),
* and keeps causal consistency with the store's writes: it takes its bookmarks from, and gives
  them back to, ``driver.execute_query_bookmark_manager`` — the manager ``execute_query`` uses
  by default and the store's write sessions use too — so a read after a write of this process
  never sees the state before the write, on a cluster as on one server.

Errors: after an error the driver would retry (``error.is_retryable()``: ``ServiceUnavailable``,
``SessionExpired``, most ``TransientError`` …) :func:`run` runs the statement again through
``execute_query``, whose retries, time limit and errors are exactly those of before (a read is
idempotent, so running it twice is harmless); any other error is the one ``execute_query``
would have raised at once on its first attempt, and is raised as it is. The one difference in
time: where connecting hangs (packets dropped, not refused) the first failing read waits one
more connection time-out before ``execute_query`` takes over; a refused connection or a broken
pooled one fails the auto-commit attempt in milliseconds (the fault tests stop real servers).
"""

from __future__ import annotations

from typing import Any, LiteralString

from neo4j import READ_ACCESS, Driver, Result, RoutingControl
from neo4j.exceptions import DriverError, Neo4jError


def _values(result: Result) -> list[list[Any]]:
    return result.values()


def read(driver: Driver, database: str, query: LiteralString, params: dict[str, Any]) -> list[list[Any]]:
    """All records of ``query`` as lists of values, from one auto-commit read (see module docstring)."""
    with driver.session(
        database=database,
        default_access_mode=READ_ACCESS,
        fetch_size=-1,
        bookmark_manager=driver.execute_query_bookmark_manager,
    ) as session:
        return _values(session.run(query, params))


def run(
    driver: Driver, database: str, query: LiteralString, params: dict[str, Any], *, write: bool = False
) -> list[list[Any]]:
    """All records of ``query`` as lists of values: a read from :func:`read`, falling back to
    ``execute_query`` on an error the driver retries; a write from ``execute_query``."""
    if not write:
        try:
            return read(driver, database, query, params)
        except (DriverError, Neo4jError) as exc:
            if not exc.is_retryable():
                raise  # what execute_query's first attempt would have raised, without a retry
    return driver.execute_query(
        query,
        parameters_=params,
        database_=database,
        routing_=RoutingControl.WRITE if write else RoutingControl.READ,
        result_transformer_=_values,
    )
