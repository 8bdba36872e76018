"""The participation import report."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ImportReport(BaseModel):
    """What a participation import did (nothing is written on a dry run or a 422)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"file": "registrations.csv", "rows_read": 120, "matched_exact": 110, "matched_fuzzy": 6,
                 "ambiguous": 2, "unmatched": 2, "rows_imported": 116, "rows_rejected": 4, "records": 150,
                 "records_new": 150, "edges_new": 150, "dry_run": False,
                 "rejected": [{"row": 17, "column": "municipality", "value": "Neustadt",
                               "reason": "ambiguous: 14 candidates"}]}
            ]
        },
    )  # fmt: skip

    file: str
    rows_read: int
    matched_exact: int
    matched_fuzzy: int
    ambiguous: int
    unmatched: int
    rows_imported: int
    rows_rejected: int
    records: int
    records_new: int
    edges_new: int
    dry_run: bool
    rejected: list[dict[str, Any]] = Field(description="Every rejected row: row, column, value, reason.")
    review: list[dict[str, Any]] = Field(default_factory=list, description="Fuzzy matches to double-check.")
    columns: dict[str, str] = Field(default_factory=dict, description="How the file's columns were read.")
    ignored_columns: list[str] = Field(default_factory=list)
