"""CLI commands for the analytics and the synthetic demo data.

Registered on the main ``lernnetz`` app (``api/cli/__init__.py`` imports this module):
``match``, ``recommend``, ``networks``, ``white-spots``, ``plan-events``, ``interests``, ``connections`` and
``demo-data`` (``import participation``/``import ties`` are in :mod:`lernnetz.api.cli.imports`). Every table command takes
``--format table|csv|json`` (and ``geojson`` where rows have places).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from lernnetz.api.cli.common import (
    Format,
    FormatOpt,
    app,
    console,
    emit,
    err,
    frame_records,
    handled,
    store_from_settings,
)
from lernnetz.graph.jsonsafe import py as _jsonable
from lernnetz.graph.settings import Settings
from lernnetz.graph.store import GraphStore

BackendOpt = Annotated[str | None, typer.Option(help="networkx or neo4j; default from LERNNETZ_BACKEND")]
#: ``match`` prints the reasons of this many top rows under the table.
REASON_ROWS = 10
RadiusOpt = Annotated[float, typer.Option("--radius-km", "-r", help="radius in km (0 < r ≤ 1000)")]
MinEvidenceOpt = Annotated[
    str | None,
    typer.Option(
        "--min-evidence",
        help="count only evidence of this kind or stronger: programme < survey < registered < attended "
        "(or a kind weight 0–1)",
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region", help="only municipalities within --radius-km of this region (AGS, project id or name)"
    ),
]
TopicOpt = Annotated[str | None, typer.Option("--topic", "-t", help="topic slug or label")]


def _one_topic(positional: str | None, option: str | None) -> str:
    """The topic from ``--topic`` or the positional form (both kept); exactly one is needed."""
    if positional and option and positional != option:
        err.print(
            f"error: two different topics given ({positional!r} and --topic {option!r})", highlight=False
        )
        raise typer.Exit(2)
    topic = option or positional
    if not topic:
        err.print("error: give a topic: --topic SLUG (or as the first argument)", highlight=False)
        raise typer.Exit(2)
    return topic


class ProjectsScope(StrEnum):
    """Which projects ``match`` considers."""

    near = "near"
    all = "all"


class FundedMeans(StrEnum):
    """Which ways of being funded exclude a place from ``match``."""

    any = "any"
    member = "member"
    verband = "verband"
    kreis = "kreis"


class NetworkPart(StrEnum):
    """Which table of a learning-network proposal to print as CSV/JSON."""

    groups = "groups"
    members = "members"
    unassigned = "unassigned"


class PlanPart(StrEnum):
    """Which table of an event plan to print as CSV/JSON."""

    hosts = "hosts"
    coverage = "coverage"
    uncovered = "uncovered"


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(data), ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------------------- match, recommend


@app.command()
def match(
    region: Annotated[str, typer.Argument(help="AGS (2/5/8 digits), project id or name")],
    radius_km: RadiusOpt = 50.0,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", "-t", help="restrict to a topic (slug or label); repeatable"),
    ] = None,
    projects: Annotated[
        ProjectsScope, typer.Option(help="near: projects within the radius; all: every project")
    ] = (ProjectsScope.near),
    funded_means: Annotated[
        FundedMeans,
        typer.Option(
            "--funded-means",
            help="which ways of being funded exclude a place: any (default) | kreis (= any) | verband "
            "(listed members and Verbände) | member (only listed members)",
        ),
    ] = FundedMeans.any,
    min_evidence: MinEvidenceOpt = None,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """Non-funded places (Gemeinden, Verbände, Kreise) near a region that share a topic with a model project."""
    from lernnetz.graph.analytics import matches

    with handled():
        store = store_from_settings(backend)
        df = matches(
            store,
            region,
            radius_km,
            topics=topic or None,
            projects=projects.value,
            funded_means=funded_means.value,
            min_evidence=min_evidence,
        )
        _synthetic_note(store)
    if fmt == Format.table:
        view = df[["ags", "name", "level", "district", "distance_km", "shared_topics", "projects", "score",
                   "funded_as"]]  # fmt: skip
        emit(view, fmt, title=f"non-funded places within {radius_km:g} km of {region} sharing a topic")
        for r in frame_records(df.head(REASON_ROWS)):
            console.print(f"[bold]{r['ags']}[/bold] " + "; ".join(r["reasons"]), highlight=False)
    else:
        emit(df, fmt)
    print_notes(df.attrs.get("notes", []), fmt)


@app.command()
def recommend(
    municipality: Annotated[str, typer.Argument(help="Gemeinde name or 8-digit AGS")],
    top: Annotated[int, typer.Option(help="how many projects sharing its topics (1–100)")] = 5,
    nearby: Annotated[int, typer.Option(help="how many nearest projects whatever their topics (0–20)")] = 3,
    reach_km: Annotated[float, typer.Option("--reach-km", help="'nearby' means within this many km")] = 50.0,
    min_evidence: MinEvidenceOpt = None,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """Model projects a municipality could learn from: those sharing its topics (ranked, with
    reasons), then the nearest ones whatever their topics ("next door, ask them")."""
    from lernnetz.graph.analytics import recommend as run

    with handled():
        store = store_from_settings(backend)
        df = run(store, municipality, top, nearby=nearby, reach_km=reach_km, min_evidence=min_evidence)
        _synthetic_note(store)
    if fmt == Format.table:
        titles = {
            "topics": f"projects sharing the topics of {municipality}",
            "nearby": f"next door, ask them: projects within {reach_km:g} km of {municipality}, whatever their topics",
        }
        for part in ("topics", "nearby"):
            sub = df[df["section"] == part]
            if part == "topics" and sub.empty:
                console.print(f"no project shares a recorded topic of {municipality}", highlight=False)
            if sub.empty:
                continue
            emit(sub.drop(columns=["section", "reasons"]), fmt, title=titles[part])
            for r in frame_records(sub):
                console.print(
                    f"[bold]{r['rank']}. {r['name']}[/bold]: " + "; ".join(r["reasons"]), highlight=False
                )
    else:
        emit(df, fmt)


# ---------------------------------------------------------------------------- networks


@app.command()
def networks(
    region: Annotated[str, typer.Argument(help="AGS, project id or name")],
    topic: Annotated[str | None, typer.Option("--topic", "-t", help="one topic (slug or label)")] = None,
    radius_km: RadiusOpt = 50.0,
    max_size: Annotated[int, typer.Option(help="members per group at most")] = 12,
    min_size: Annotated[int, typer.Option(help="members per group at least")] = 3,
    seed: Annotated[
        int, typer.Option(help="seed of the spatial splits (stability is measured over 10 seeds)")
    ] = 42,
    min_evidence: MinEvidenceOpt = None,
    html: Annotated[Path | None, typer.Option(help="also write an interactive offline HTML view")] = None,
    graph: Annotated[
        Path | None, typer.Option("--graph", help="also write the network as .graphml or .gexf (Gephi, yEd)")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="also write groups, members and unassigned as one XLSX")
    ] = None,
    part: Annotated[
        NetworkPart, typer.Option(help="table printed for csv/json/geojson")
    ] = NetworkPart.groups,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """Propose regional learning networks: groups around hub projects, one topic each, members
    within reach of the hub and of each other; every candidate left out says why."""
    from lernnetz.graph.analytics import learning_networks

    with handled():
        store = store_from_settings(backend)
        result = learning_networks(
            store, region, topic, radius_km, max_size, seed, min_size=min_size, min_evidence=min_evidence
        )
        _synthetic_note(store)
    if html is not None:
        from lernnetz.graph.pictures.maps import default_boundaries
        from lernnetz.graph.pictures.views import learning_network_html

        with handled():
            learning_network_html(
                result,
                html,
                attribution=str(store.info()["attribution"]),
                store=store,
                boundaries=default_boundaries(Settings().data_dir),
            )
        err.print(f"wrote {html}", highlight=False)
    if graph is not None:
        from lernnetz.graph.pictures.export import write_network

        with handled():
            write_network(result.to_graph(), graph)
        err.print(f"wrote {graph}", highlight=False)
    if xlsx is not None:
        from lernnetz.graph.pictures.tables import write_xlsx
        from lernnetz.graph.pictures.views import learning_network_sheets

        with handled():
            write_xlsx(
                xlsx,
                learning_network_sheets(result),
                source=f"lernnetz networks {region} --radius-km {radius_km:g}",
                attribution=str(store.info()["attribution"]),
            )
        err.print(f"wrote {xlsx}", highlight=False)
    if fmt == Format.table:
        p = result.params
        emit(
            result.groups.drop(columns=["topics"]),
            fmt,
            title=f"learning networks around {region} ({radius_km:g} km): {p['placed']} of "
            f"{p['candidates_within_reach']} candidate Gemeinden with a project in reach placed "
            f"({p['coverage']:.0%})",
        )
        print_notes(result.notes, fmt)
        if not result.unassigned.empty:
            emit(result.unassigned, fmt, title="not assigned")
        console.print(
            f"stability (mean adjusted Rand index over seeds {result.params['stability_seeds'][0]}–"
            f"{result.params['stability_seeds'][-1]}): {result.stability:.3f}",
            highlight=False,
        )
    else:
        emit(getattr(result, part.value), fmt)
        print_notes(result.notes, fmt)


# ---------------------------------------------------------------------------- white spots, events


@app.command("white-spots")
def white_spots_cmd(
    topic_arg: Annotated[
        str | None, typer.Argument(metavar="[TOPIC]", help="topic slug or label (or --topic)")
    ] = None,
    topic: TopicOpt = None,
    radius_km: RadiusOpt = 50.0,
    region: RegionOpt = None,
    by_district: Annotated[bool, typer.Option("--by-district", help="aggregate per Kreis")] = False,
    min_evidence: MinEvidenceOpt = None,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
    boundaries: Annotated[
        Path | None,
        typer.Option(
            help="BKG boundaries for --by-district -f geojson (default: those fetched into the data dir)"
        ),
    ] = None,
) -> None:
    """Municipalities interested in a topic with no project addressing it within reach."""
    from lernnetz.graph.analytics import white_spots, white_spots_by_district

    t = _one_topic(topic_arg, topic)
    with handled():
        store = store_from_settings(backend)
        df = (white_spots_by_district if by_district else white_spots)(
            store, t, radius_km, region=region, min_evidence=min_evidence
        )
        _synthetic_note(store)
    geo = None
    if by_district and fmt == Format.geojson:
        from lernnetz.graph.pictures.geo_export import districts_geojson
        from lernnetz.graph.pictures.maps import default_boundaries

        bounds = boundaries or default_boundaries(Settings().data_dir)

        def geo(table: pd.DataFrame) -> dict[str, Any]:
            return districts_geojson(store, table, bounds, attribution=str(store.info()["attribution"]))

    where = f" around {region}" if region else ""
    emit(df, fmt, title=f"white spots for {t}{where} ({radius_km:g} km)", geojson=geo)
    print_notes(df.attrs.get("notes", []), fmt)


@app.command("plan-events")
def plan_events_cmd(
    topic_arg: Annotated[
        str | None, typer.Argument(metavar="[TOPIC]", help="topic slug or label (or --topic)")
    ] = None,
    topic: TopicOpt = None,
    k: Annotated[int, typer.Option("--k", "-k", help="how many events/hosts")] = 3,
    radius_km: RadiusOpt = 50.0,
    region: RegionOpt = None,
    min_evidence: MinEvidenceOpt = None,
    part: Annotated[PlanPart, typer.Option(help="table printed for csv/json/geojson")] = PlanPart.hosts,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """Where to hold the next events on a topic (greedy maximum coverage of interested
    non-funded municipalities)."""
    from lernnetz.graph.analytics import plan_events

    t = _one_topic(topic_arg, topic)
    with handled():
        store = store_from_settings(backend)
        plan = plan_events(store, t, k, radius_km, region=region, min_evidence=min_evidence)
        _synthetic_note(store)
    if fmt == Format.table:
        where = f" around {region}" if region else ""
        emit(plan.hosts, fmt, title=f"hosts for {t}{where} (greedy maximum coverage, {radius_km:g} km)")
        console.print(
            f"{len(plan.coverage)} of {plan.params['interested_non_funded']} interested non-funded municipalities "
            f"covered; {len(plan.uncovered)} not",
            highlight=False,
        )
    else:
        emit(getattr(plan, part.value), fmt)
    print_notes(plan.notes, fmt)


@app.command("interests")
def interests_cmd(
    topic: TopicOpt = None,
    level: Annotated[
        str | None, typer.Option(help="only rows of this level: gemeinde, verband or kreis")
    ] = None,
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """Recorded interests with the level, key and name of their subject (Gemeinde, Verband, Kreis)."""
    from lernnetz.graph.analytics.interests import interest_rows

    with handled():
        store = store_from_settings(backend)
        df = interest_rows(store, topic=topic, level=level)
    emit(df, fmt, title="Interessen / interests")


@app.command("connections")
def connections_cmd(
    a: Annotated[
        str, typer.Argument(help="Gemeinde (name/AGS), Kreis, Verband (VG X, Amt X, key) or project id")
    ],
    b: Annotated[
        str, typer.Argument(help="Gemeinde (name/AGS), Kreis, Verband (VG X, Amt X, key) or project id")
    ],
    fmt: FormatOpt = Format.table,
    backend: BackendOpt = None,
) -> None:
    """How two places (Gemeinden, Kreise, Verbände) or projects are linked: shared topics and events, ties, paths."""
    from lernnetz.graph.analytics import connections

    with handled():
        store = store_from_settings(backend)
        c = connections(store, a, b)
    if fmt == Format.json:
        _json(
            {
                "a": c.a,
                "b": c.b,
                "shared_topics": frame_records(c.shared_topics),
                "shared_events": frame_records(c.shared_events),
                "ties": frame_records(c.ties),
                "paths": c.paths,
            }
        )
    else:
        emit(c.to_frame(), fmt, title=f"{c.a['name']} ↔ {c.b['name']}")


# ---------------------------------------------------------------------------- demo data


@app.command("demo-data")
def demo_data(
    n: Annotated[int, typer.Option(help="how many synthetic records")] = 10000,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    remove: Annotated[
        bool, typer.Option("--remove", help="drop all synthetic records from the ledger")
    ] = False,
    backend: BackendOpt = None,
) -> None:
    """Add SYNTHETIC participation (source=synthetic) for demos — not real data."""
    from lernnetz.graph.participation import persist_records, remove_synthetic
    from lernnetz.graph.synthetic import synthetic_participation

    settings = Settings()
    if remove:
        with handled():
            removed = remove_synthetic(settings)
        console.print(
            f"removed {removed} synthetic record(s) from the ledger; run `lernnetz load` to rebuild the graph without them",
            highlight=False,
        )
        return
    err.print(
        "[bold yellow]SYNTHETIC DATA:[/bold yellow] adding generated participation records (source=synthetic). "
        "They are NOT real registrations or survey answers; every result built on them says so. "
        "Remove them with `lernnetz demo-data --remove` and `lernnetz load`.",
        highlight=False,
    )
    with handled():
        store = store_from_settings(backend)
        records = synthetic_participation(store, n, seed)
        new_rows, new_edges = persist_records(store, settings, records)
    console.print(
        f"synthetic participation: {len(records)} record(s) generated (seed {seed}); {new_rows} new in the ledger, "
        f"{new_edges} new edge(s) in the {store.backend} store",
        highlight=False,
    )


def print_notes(notes: list[str], fmt: Format) -> None:
    """An empty answer's notes: on stdout under a table, on stderr for csv/json (keeps them parseable)."""
    out = console if fmt == Format.table else err
    for n in notes:
        out.print(f"[yellow]note:[/yellow] {n}", highlight=False)


def _synthetic_note(store: GraphStore) -> None:
    """Say on stderr when the graph holds synthetic participation (results rest on it)."""
    from lernnetz.graph.synthetic import SOURCE

    n = int((store.interests()["source"] == SOURCE).sum()) + int(
        (store.attendances()["source"] == SOURCE).sum()
    )
    if n:
        err.print(
            f"[yellow]note:[/yellow] the graph holds {n} SYNTHETIC participation edge(s) (source={SOURCE}); "
            "results based on them are demo output, not real interest",
            highlight=False,
        )
