"""Domain errors of the graph layer. The API maps each to one HTTP status in one place."""

from __future__ import annotations


class LernnetzError(Exception):
    """Root of lernnetz's domain errors. ``hint`` tells the user what to do."""

    code = "error"

    def __init__(self, detail: str, *, hint: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


class NotFound(LernnetzError):
    """A key (AGS, project id, topic, event) that the graph does not hold."""

    code = "not_found"


class Ambiguous(LernnetzError):
    """A name that fits several places; ``candidates`` lists them, never a guess."""

    code = "ambiguous"

    def __init__(self, detail: str, candidates: list[dict[str, object]], *, hint: str = "") -> None:
        super().__init__(detail, hint=hint)
        self.candidates = candidates


class InvalidArgument(LernnetzError):
    """A parameter outside its allowed range or set."""

    code = "invalid_argument"


class StoreUnavailable(LernnetzError):
    """The store cannot be reached (Neo4j down) or holds no graph yet."""

    code = "store_unavailable"


class NoGraph(StoreUnavailable):
    """No graph has been loaded yet."""

    code = "no_graph"


class Busy(StoreUnavailable):
    """Another writer holds the graph's write lock longer than we may wait."""

    code = "busy"
