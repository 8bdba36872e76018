"""The curated programme data: real figures, territories, bad input."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from lernnetz.graph.analytics.programme import list_events, list_projects, project_detail
from lernnetz.graph.model import GraphData
from lernnetz.graph.settings import CURATED_DIR
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.errors import InputError
from lernnetz.loaders.programme import read_programme
from lernnetz.loaders.records import Programme, Register


def test_seventy_three_projects_by_round_and_category(programme: Programme) -> None:
    assert len(programme.projects) == 73
    rounds = Counter(p.round for p in programme.projects)
    assert rounds == {2019: 13, 2020: 32, 2021: 28}
    cats = {r: Counter(p.category for p in programme.projects if p.round == r) for r in (2020, 2021)}
    assert cats[2020] == {"GS": 13, "MS": 3, "KL": 4, "IK": 12}
    assert cats[2021] == {"GS": 12, "MS": 6, "KL": 2, "IK": 8}


def test_every_project_has_members_and_every_key_resolves(programme: Programme, register: Register) -> None:
    ags = {m.ags for m in register.municipalities}
    kreise = {d.key for d in register.districts}
    verbaende = {a.key for a in register.associations}
    known = {"gemeinde": ags, "kreis": kreise, "verband": verbaende}
    with_members = {m.project_id for m in programme.members}
    assert {p.id for p in programme.projects} == with_members
    for m in programme.members:
        assert m.key in known[m.level], m


def test_every_row_names_source_and_confidence(programme: Programme) -> None:
    for rec in [*programme.projects, *programme.members, *programme.events, *programme.project_topics]:
        assert rec.source.strip(), rec
        assert rec.confidence in {"S", "G", "U"}, rec


def test_mayen_koblenz_lists_verbandsgemeinden_resolved_to_gemeinden(
    nx_store: NetworkXStore, register: Register
) -> None:
    d = project_detail(nx_store, "landkreis-mayen-koblenz")
    g = d["gemeinden"]
    # the whole Landkreis, every Gemeinde of Kreis 07137, brought in through its VG or as a Stadt
    expected = {m.ags for m in register.municipalities if m.district_key == "07137"}
    assert set(g["ags"]) == expected
    vias = set(g["via"])
    assert {"Maifeld", "Mendig", "Pellenz", "Vordereifel", "Weißenthurm", "Vallendar", "Rhein-Mosel"} <= vias
    stadt = g[g["via"] == "gemeinde"]
    assert set(stadt["name"]) == {"Andernach, Stadt", "Bendorf, Stadt", "Mayen, Stadt"}


def test_connected_urban_twins_lists_the_three_cities(nx_store: NetworkXStore) -> None:
    p = nx_store.projects()
    pid = p.loc[p["name"].str.contains("Hamburg in Kooperation mit Leipzig und München"), "id"].iloc[0]
    g = project_detail(nx_store, pid)["gemeinden"]
    assert set(g["ags"]) == {"02000000", "14713000", "09162000"}
    # the official name works as well as the id
    by_name = project_detail(nx_store, "Hamburg in Kooperation mit Leipzig und München")
    assert by_name["project"]["id"] == pid
    assert set(by_name["gemeinden"]["ags"]) == set(g["ags"])


def test_spring_2022_regionalkonferenzen_and_twenty_more_dated_events(nx_store: NetworkXStore) -> None:
    e = list_events(nx_store)
    dated = e[e["date_start"].fillna("") != ""]
    rk = e[e["kind"] == "regionalkonferenz"].set_index("date_start")
    for day in ("2022-03-22", "2022-03-31", "2022-04-05"):
        assert day in rk.index
    assert rk.loc["2022-03-22", "format"] == "virtual"
    assert "landkreis-mayen-koblenz" in rk.loc["2022-03-22", "hosts"]
    assert {"buergerbeteiligung", "akteursnetzwerke"} <= set(rk.loc["2022-03-22", "topics"])
    assert "ulm" in rk.loc["2022-04-05", "hosts"]
    assert "lemgo" in " ".join(rk.loc["2022-03-31", "hosts"])
    assert len(dated) - 3 >= 20


def test_funded_municipalities_match_the_territories(nx_store: NetworkXStore) -> None:
    m = nx_store.municipalities()
    terr = nx_store.territories()
    assert set(m.loc[m["funded"], "ags"]) == set(terr["ags"])
    real = m[~m["unincorporated"]]
    # the figure stated in data/README.md
    readme = (CURATED_DIR / "README.md").read_text(encoding="utf-8")
    assert f"{int(real['funded'].sum()):,}" in readme


def test_project_filters(nx_store: NetworkXStore) -> None:
    assert len(list_projects(nx_store, round=2021, category="GS")) == 12
    by = list_projects(nx_store, state="BY")
    assert len(by) > 0 and all("BY" in s for s in by["states"])


# ---------------------------------------------------------------------------- bad input


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(CURATED_DIR, dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _problem(exc: pytest.ExceptionInfo[InputError], column: str) -> tuple[str, int | None, str | None]:
    p = next(p for p in exc.value.problems if p.column == column)
    return p.file, p.row, p.value


def test_unknown_ags_is_named_with_file_row_and_value(tmp_path: Path, register: Register) -> None:
    d = _copy(tmp_path)
    lines = _lines(d / "project_members.csv")
    first = lines[1].split(",")
    first[1] = "08421999"
    lines[1] = ",".join(first)
    (d / "project_members.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    file, row, value = _problem(exc, "key")
    assert file.endswith("project_members.csv") and row == 2 and value == "08421999"


def test_unknown_topic_slug(tmp_path: Path, register: Register) -> None:
    d = _copy(tmp_path)
    lines = _lines(d / "project_topics.csv")
    parts = lines[3].split(",")
    parts[1] = "no-such-topic"
    lines[3] = ",".join(parts)
    (d / "project_topics.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    assert _problem(exc, "topic")[1:] == (4, "no-such-topic")


def test_duplicate_project_id(tmp_path: Path, register: Register) -> None:
    d = _copy(tmp_path)
    lines = _lines(d / "projects.csv")
    dup_id = lines[1].split(",")[0]
    parts = lines[2].split(",")
    parts[0] = dup_id
    lines[2] = ",".join(parts)
    (d / "projects.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    assert any(p.column == "id" and p.value == dup_id and p.row == 3 for p in exc.value.problems)


def test_project_without_member(tmp_path: Path, register: Register) -> None:
    d = _copy(tmp_path)
    lines = _lines(d / "project_members.csv")
    victim = lines[1].split(",")[0]
    kept = [ln for ln in lines if not ln.startswith(victim + ",")]
    (d / "project_members.csv").write_text("".join(kept), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    assert any("no member" in p.message and p.value == victim for p in exc.value.problems)


def test_malformed_date(tmp_path: Path, register: Register) -> None:
    d = _copy(tmp_path)
    _edit(d / "events.csv", ",2022-03-22,", ",2022-02-30,")
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    assert _problem(exc, "date_start")[2] == "2022-02-30"


def test_member_listed_twice(tmp_path: Path, register: Register) -> None:
    d = _copy(tmp_path)
    lines = _lines(d / "project_members.csv")
    lines.append(lines[1])
    (d / "project_members.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    assert any("listed twice" in p.message and p.row == len(lines) for p in exc.value.problems)


def test_failed_programme_load_leaves_the_previous_graph(
    tmp_path: Path, register: Register, graph_data: GraphData
) -> None:
    store = NetworkXStore(tmp_path / "snap" / "graph.pickle")
    store.replace(graph_data)
    before = store.info()
    snapshot = (tmp_path / "snap" / "graph.pickle").read_bytes()
    d = _copy(tmp_path)
    _edit(d / "events.csv", ",2022-03-22,", ",22.03.2022,")
    with pytest.raises(InputError):
        store.replace(GraphData(register=register, programme=read_programme(d, register)))
    assert store.info() == before
    assert (tmp_path / "snap" / "graph.pickle").read_bytes() == snapshot


def test_bad_status_and_programme_rows_are_all_named_and_nothing_loads(
    tmp_path: Path, register: Register
) -> None:
    d = _copy(tmp_path)
    _edit(d / "projects.csv", ",ended,2025-09-19,", ",paused,2025-09-31,")  # Hagenow
    _edit(d / "projects.csv", ",ended,2025-10-31,smartcities-suedwestfalen.com/?p=9848", ",ended,2025-10-31,")
    pp = d / "programme_participation.csv"
    lines = _lines(pp)
    lines[1] = lines[1].replace("smarte-land-regionen,07231,kreis", "no-such-programme,07231,kreis", 1)
    lines[2] = lines[2].replace(",05558,kreis,", ",05999,kreis,", 1)
    lines[3] = lines[3].replace("smarte-land-regionen,08336,kreis,Lörrach,Modellregion (up to EUR 1 m),2020 "
                                "selection; 2021-2024,smart-region-rural,",
                                "smarte-land-regionen,08336,kreis,Lörrach,Modellregion (up to EUR 1 m),2020 "
                                "selection; 2021-2024,smart-region-rural;quantum,")  # fmt: skip
    pp.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    found = {(Path(p.file).name, p.row, p.column, p.value) for p in exc.value.problems}
    hagenow = next(n for n, ln in enumerate(_lines(d / "projects.csv"), start=1) if ln.startswith("hagenow,"))
    iserlohn = next(
        n for n, ln in enumerate(_lines(d / "projects.csv"), start=1) if ln.startswith("iserlohn,")
    )
    assert ("projects.csv", hagenow, "status", "paused") in found
    assert ("projects.csv", hagenow, "end_date", "2025-09-31") in found
    assert ("projects.csv", iserlohn, "status_source", "") in found
    assert ("programme_participation.csv", 2, "programme_id", "no-such-programme") in found
    assert ("programme_participation.csv", 3, "key", "05999") in found
    assert ("programme_participation.csv", 4, "topics", "quantum") in found


def test_programme_files_come_as_a_pair(tmp_path: Path, register: Register) -> None:
    d = _copy(tmp_path)
    (d / "programmes.csv").unlink()
    with pytest.raises(InputError) as exc:
        read_programme(d, register)
    assert any(p.file.endswith("programmes.csv") and "missing" in p.message for p in exc.value.problems)
    (d / "programme_participation.csv").unlink()
    prog = read_programme(d, register)  # neither file: no programme layer, everything else loads
    assert prog.other_programmes == [] and prog.programme_participation == [] and len(prog.projects) == 73
