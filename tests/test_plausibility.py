"""Issue 16, bad input answered: plausibility checks on the register and the curated files,
the whole-register check of ``data fetch``, and a bad weight in the ledger.

Every bad value must be refused with a message naming file, row, column and value, before
any store is touched (a population of 10^20 used to load into NetworkX and crash
``load --backend neo4j`` with an ``OverflowError``)."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lernnetz.api.cli.common import app
from lernnetz.graph.settings import CURATED_DIR, Settings
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.fetch import METADATA_FILE, FetchError, fetch_register
from lernnetz.loaders.programme import read_programme
from lernnetz.loaders.records import Register
from lernnetz.loaders.register import parse_clean_csv
from tests.conftest import CLEAN_CSV

HUGE = str(10**20)


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _problems(exc: InputError) -> set[tuple[str, int | None, str | None, str | None]]:
    return {(Path(p.file).name, p.row, p.column, p.value) for p in exc.problems}


# ---------------------------------------------------------------------------- curated files


@pytest.fixture
def curated(tmp_path: Path) -> Path:
    """A private copy of data/ to spoil."""
    return Path(shutil.copytree(CURATED_DIR, tmp_path / "data"))


def _spoil(folder: Path, name: str, changes: dict[int, dict[str, str]]) -> None:
    """Set columns of data rows (0-based index among data rows) of ``name``.csv."""
    header, rows = _rows(folder / f"{name}.csv")
    for i, values in changes.items():
        rows[i].update(values)
    _write(folder / f"{name}.csv", header, rows)


def test_curated_implausible_values_are_refused_naming_the_place(curated: Path, register: Register) -> None:
    long_title = "x" * 100_000
    _spoil(
        curated,
        "events",
        {
            0: {"participants": HUGE},
            1: {"participants": "-5"},
            2: {"date_start": "9999-01-01", "date_end": ""},
            3: {"date_start": "0001-01-01", "date_end": ""},
            4: {"date_start": "2022-04-05 trailing", "date_end": ""},
            5: {"date_start": "20220405", "date_end": ""},
            6: {"kind": "party"},
            7: {"title": long_title},
            8: {"number": "1_0"},
        },
    )
    _spoil(curated, "projects", {0: {"name": "N" * 201}})
    _spoil(curated, "topics", {0: {"label_de": "L" * 300}})
    _, events = _rows(curated / "events.csv")
    with pytest.raises(InputError) as info:
        read_programme(curated, register)
    got = _problems(info.value)
    expected = {
        ("events.csv", 2, "participants", HUGE),
        ("events.csv", 3, "participants", "-5"),
        ("events.csv", 4, "date_start", "9999-01-01"),
        ("events.csv", 5, "date_start", "0001-01-01"),
        ("events.csv", 6, "date_start", "2022-04-05 trailing"),
        ("events.csv", 7, "date_start", "20220405"),
        ("events.csv", 8, "kind", "party"),
        ("events.csv", 9, "title", long_title),
        ("events.csv", 10, "number", "1_0"),
    }
    assert expected <= got, expected - got
    assert ("projects.csv", 2, "name", "N" * 201) in got
    assert ("topics.csv", 2, "label_de", "L" * 300) in got
    text = str(info.value)
    assert "implausible participants: must be between 0 and 1e+06" in text
    assert "implausible year: must be between 2019 and 2035" in text
    assert "unknown event kind" in text and "regionalkonferenz" in text
    assert events[0]["id"]  # the file still has its ids: only the spoilt cells are reported


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "Ulm", "ulm_2", "ulm-", "a b", "ülm", "x" * 201])
def test_curated_unsafe_ids_are_refused(curated: Path, register: Register, bad_id: str) -> None:
    header, projects = _rows(curated / "projects.csv")
    old = projects[0]["id"]
    projects[0]["id"] = bad_id
    _write(curated / "projects.csv", header, projects)
    for name, column in (("project_members", "project_id"), ("project_topics", "project_id")):
        h, rows = _rows(curated / f"{name}.csv")
        _write(
            curated / f"{name}.csv",
            h,
            [{**r, column: bad_id if r[column] == old else r[column]} for r in rows],
        )
    with pytest.raises(InputError) as info:
        read_programme(curated, register)
    assert ("projects.csv", 2, "id", bad_id) in _problems(info.value)


def test_the_curated_data_itself_is_plausible(register: Register) -> None:
    programme = read_programme(CURATED_DIR, register)
    assert all(e.participants is None or 0 <= e.participants <= 1_000_000 for e in programme.events)


# ---------------------------------------------------------------------------- register


def _register_extract(tmp_path: Path, changes: dict[int, dict[str, str]], n: int = 50) -> Path:
    header, rows = _rows(CLEAN_CSV)
    rows = rows[:n]
    for i, values in changes.items():
        rows[i].update(values)
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    _write(path, header, rows)
    return path


def test_register_implausible_values_are_refused_naming_the_place(tmp_path: Path) -> None:
    path = _register_extract(
        tmp_path,
        {
            0: {"bevoelkerung": HUGE},
            1: {"bevoelkerung": "-3"},
            2: {"bevoelkerung": str(10**15)},
            3: {"maennlich": "1_0"},
            4: {"flaeche_km2": "nan"},
            5: {"flaeche_km2": "1e400"},
            6: {"name": "N" * 100_000},
        },
    )
    with pytest.raises(InputError) as info:
        parse_clean_csv(path)
    got = _problems(info.value)
    name = path.name
    assert {
        (name, 2, "bevoelkerung", HUGE),
        (name, 3, "bevoelkerung", "-3"),
        (name, 4, "bevoelkerung", str(10**15)),
        (name, 5, "maennlich", "1_0"),
        (name, 6, "flaeche_km2", "nan"),
        (name, 7, "flaeche_km2", "1e400"),
        (name, 8, "name", "N" * 100_000),
    } <= got
    assert "implausible bevoelkerung: must be between 0 and 5e+06" in str(info.value)


def test_the_real_register_is_plausible(register: Register) -> None:
    assert max(m.population for m in register.municipalities) < 5_000_000
    assert len(register.municipalities) == 11_004


# ---------------------------------------------------------------------------- data fetch


def test_fetch_refuses_a_100_row_register_and_keeps_the_cache(tmp_path: Path) -> None:
    data_dir = tmp_path / "cache"
    fetch_register(data_dir, CLEAN_CSV, progress=False)

    def cache() -> dict[str, bytes]:  # the writers' lock file (empty) aside
        return {p.name: p.read_bytes() for p in data_dir.iterdir() if p.name != "lernnetz.lock"}

    before = cache()
    small = _register_extract(tmp_path, {}, n=100)
    with pytest.raises(FetchError, match=r"not the whole Gemeindeverzeichnis: 100 Gemeinden"):
        fetch_register(data_dir, small, progress=False)
    assert cache() == before
    # the CLI: exit 2, a message naming the file, the cache unchanged
    r = CliRunner().invoke(
        app, ["data", "fetch", "--from", str(small)], env={"LERNNETZ_DATA_DIR": str(data_dir)}
    )
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    assert "not the whole Gemeindeverzeichnis" in text and "1 of 16 Länder" in text
    assert str(small) in r.output.replace("\n", "")
    assert cache() == before
    # an extract is still accepted on request (library only)
    assert (
        len(fetch_register(tmp_path / "other", small, progress=False, whole=False).register.municipalities)
        == 100
    )


def test_fetch_refuses_a_register_without_a_land(tmp_path: Path) -> None:
    header, rows = _rows(CLEAN_CSV)
    path = tmp_path / "gemeinden_gv_2020-12-31.csv"
    _write(path, header, [r for r in rows if r["land_code"] != "10"])  # no Saarland: still 10,952 rows
    with pytest.raises(FetchError, match=r"15 of 16 Länder \(missing: SL\)"):
        fetch_register(tmp_path / "cache", path, progress=False)
    assert not (tmp_path / "cache" / METADATA_FILE).exists()


# ---------------------------------------------------------------------------- load


def _cache_with_spoilt_register(data_dir: Path, spoil: Callable[[dict[str, str]], None]) -> None:
    """A cache whose register (written before these checks, or edited by hand) holds a bad value."""
    fetch_register(data_dir, CLEAN_CSV, progress=False)
    header, rows = _rows(data_dir / "register.csv")
    spoil(rows[100])
    _write(data_dir / "register.csv", header, rows)


def test_load_refuses_a_10e20_population_before_the_store_is_touched(settings: Settings) -> None:
    _cache_with_spoilt_register(settings.data_dir, lambda r: r.update(bevoelkerung=HUGE))
    r = CliRunner().invoke(app, ["load"])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "row 102" in text and "'bevoelkerung'" in text and HUGE in text
    assert "Traceback" not in r.output and "OverflowError" not in r.output
    assert not settings.snapshot_path.exists()


@pytest.mark.neo4j
def test_load_neo4j_refuses_a_10e20_population_before_neo4j_is_touched(
    settings: Settings, neo4j_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neo4j import GraphDatabase

    _cache_with_spoilt_register(settings.data_dir, lambda r: r.update(bevoelkerung=HUGE))
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    with GraphDatabase.driver(neo4j_uri, auth=None) as driver:

        def everything() -> list[object]:
            query = "MATCH (n) RETURN labels(n) AS l, properties(n) AS p ORDER BY elementId(n)"
            return [tuple(r) for r in driver.execute_query(query).records]

        before = everything()
        r = CliRunner().invoke(app, ["load", "--backend", "neo4j"])
        assert r.exit_code == 2, r.output
        assert "OverflowError" not in r.output and "'bevoelkerung'" in " ".join(r.output.split())
        assert everything() == before


# ---------------------------------------------------------------------------- ledger


def test_a_bad_weight_in_the_ledger_is_a_clear_error(settings: Settings) -> None:
    fetch_register(settings.data_dir, CLEAN_CSV, progress=False)
    ledger = settings.data_dir / "participation_ledger.csv"
    for bad in ("zehn", "1_0", "nan", "-1", "11", "inf"):
        ledger.write_text(
            "ags,kind,date,source,topic,event_id,weight\n"
            "08421000,survey,2024-01-01,x,mobility,,1.0\n"
            f"08421000,survey,2024-01-02,x,mobility,,{bad}\n",
            encoding="utf-8",
        )
        r = CliRunner().invoke(app, ["load"])
        text = r.output.replace("\n", "")  # rich breaks long words at the terminal width
        assert r.exit_code == 2, (bad, r.output)
        assert "participation_ledger.csv, row 3, column 'weight'" in text, text
        assert f"(value '{bad}')" in text and "Traceback" not in r.output
    assert not settings.snapshot_path.exists()


def test_snapshot_temp_files_of_a_killed_writer_are_swept(tmp_path: Path, graph_data: object) -> None:
    import os
    import time

    from lernnetz.graph.model import GraphData

    assert isinstance(graph_data, GraphData)
    snapshot = tmp_path / "graph.pickle"
    stale = tmp_path / ".graph.pickle.k1ll3d.tmp"
    stale.write_bytes(b"\0" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / ".graph.pickle.w0rk1ng.tmp"  # a writer still at work keeps its file
    fresh.write_bytes(b"\0")
    NetworkXStore(snapshot).replace(graph_data)
    assert not stale.exists() and fresh.exists() and snapshot.exists()


def test_fetch_sweeps_the_temp_file_of_a_killed_download(tmp_path: Path) -> None:
    import os
    import time

    data_dir = tmp_path / "cache"
    data_dir.mkdir()
    stale, fresh = data_dir / ".download-k1ll3d.part", data_dir / ".download-w0rk1ng.part"
    stale.write_bytes(b"\0" * 4096)
    fresh.write_bytes(b"\0")  # a fetch still running in another process keeps its file
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fetch_register(data_dir, CLEAN_CSV, progress=False)
    assert not stale.exists() and fresh.exists()
