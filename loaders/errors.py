"""Errors for bad input: each names the file, row, column and value it is about."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one place in an input file.

    ``row`` is the 1-based line or sheet row as a person sees it in an editor or
    spreadsheet (the header is row 1 of a CSV file); ``None`` when the problem is
    about the whole file.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (value {self.value!r})"
        return text


class InputError(ValueError):
    """Bad input. Carries every problem found, so one run reports them all."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems: list[Problem] = problems if isinstance(problems, list) else [problems]
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        if more > 0:
            shown += f"\n  … and {more} more"
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{shown}")

    @classmethod
    def single(
        cls,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> InputError:
        """Build an error about one place."""
        return cls(
            Problem(
                file=str(file),
                message=message,
                row=row,
                column=column,
                value=None if value is None else str(value),
            )
        )
