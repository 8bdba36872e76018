"""Pages for results and notebooks: learning networks, store subgraphs, inline views.

:func:`learning_network_html` writes the learning-network page
(:mod:`lernnetz.graph.pictures.learning_page`); :func:`store_subgraph` makes a display graph
of municipalities and projects for :func:`lernnetz.graph.pictures.network.network_html`;
:func:`show_network` is the notebook helper (see :class:`NetworkView`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from lernnetz.graph.jsonsafe import py
from lernnetz.graph.model import TIE_END_KIND, NodeKind
from lernnetz.graph.pictures.layout import _num
from lernnetz.graph.pictures.network import _fmt, _mentions_synthetic, _write_text, network_html

if TYPE_CHECKING:  # pragma: no cover - typing only
    from lernnetz.graph.store import GraphStore


# ---------------------------------------------------------------------------- learning networks


def _default_attribution(params: Mapping[str, Any]) -> str:
    if params.get("attribution"):
        return str(params["attribution"])
    from lernnetz.loaders.register import attribution as destatis_attribution

    return destatis_attribution(str(params.get("stichtag", "")))


def learning_network_title(result: Any) -> tuple[str, str]:
    """(title, subtitle) for a :class:`lernnetz.graph.analytics.LearningNetworks` result."""
    params: Mapping[str, Any] = getattr(result, "params", {}) or {}
    region = params.get("region_name") or params.get("region") or ""
    if isinstance(region, Mapping):
        kind = {"district": "Kreis ", "state": "Land "}.get(str(region.get("kind")), "")
        region = (kind + str(region.get("name"))) if region.get("name") else region.get("key") or ""
    topic = params.get("topic_label") or params.get("topic") or "alle Themen / all topics"
    radius = params.get("radius_km")
    title = f"Lernnetzwerke / learning networks: {region} · {topic}"
    if radius is not None:
        title += f" · {_fmt(radius)} km"
    groups = getattr(result, "groups", None)
    members = getattr(result, "members", None)
    unassigned = getattr(result, "unassigned", None)
    parts = []
    if groups is not None:
        parts.append(f"{len(groups)} Gruppe(n) / group(s)")
    if members is not None:
        n_members = int((members["role"] == "member").sum()) if "role" in members.columns else len(members)
        parts.append(f"{n_members} Mitglieder / members")
    if unassigned is not None:
        parts.append(f"{len(unassigned)} nicht zugeordnet / unassigned")
    stability = _num(getattr(result, "stability", None))
    if stability is not None:
        parts.append(f"Stabilität / stability {stability:.2f}")
    return title, " · ".join(parts)


def learning_network_html(
    result: Any,
    path: str | Path | None = None,
    *,
    attribution: str | None = None,
    physics: bool = False,
    store: GraphStore | None = None,
    boundaries: str | Path | None = None,
) -> str:
    """The interactive page of a learning-network proposal (``lernnetz.graph.analytics.LearningNetworks``).

    See :mod:`lernnetz.graph.pictures.learning_page` for what it shows. Writes it to ``path``
    when given; always returns the HTML. ``attribution`` defaults to
    ``result.params["attribution"]`` or the Destatis note; ``store`` (optional) places the
    candidates that were not assigned on the map; ``boundaries`` (a BKG source, see
    :mod:`lernnetz.loaders.boundaries`) adds Kreis and Land outlines. The page is geographic:
    ``physics`` is accepted for compatibility and ignored.
    """
    from lernnetz.graph.pictures.learning_page import learning_page_data, learning_page_html

    params: Mapping[str, Any] = getattr(result, "params", {}) or {}
    title, subtitle = learning_network_title(result)
    data = learning_page_data(result, store=store, boundaries=boundaries)
    page = learning_page_html(
        data,
        title=title,
        subtitle=subtitle,
        attribution=attribution or _default_attribution(params),
        synthetic=_mentions_synthetic(result.to_graph()),
    )
    if path is not None:
        _write_text(Path(path), page)
    return page


# ---------------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class NetworkView:
    """A written network page that displays inline in Jupyter.

    Displayed as ``<iframe srcdoc="…">`` holding the whole page, because:

    * an ``IFrame(src=path)`` only works when the notebook server serves that path under the
      same relative URL — true in classic Jupyter from the notebook's folder, not in JupyterLab
      (different URL layout), VS Code, or an exported notebook: the frame stays blank;
    * inserting the page as plain ``HTML`` runs vis-network's script in the notebook's own
      document: several views share (and overwrite) the global ``network``/``nodes`` variables,
      the page CSS leaks into the notebook, and some front ends do not run ``<script>`` in
      HTML output at all;
    * ``srcdoc`` gives the page its own document, needs no server and no network (everything is
      inlined), and works the same in classic Jupyter and JupyterLab. The frame is sandboxed
      (``allow-scripts`` only).

    The cost: the page (about 1 MB) is stored in the notebook's output — commit notebooks
    without outputs.
    """

    path: Path
    html: str
    height: int = 780

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" width="100%" height="{self.height}" '
            'style="border:1px solid #ddd" sandbox="allow-scripts" '
            f'title="{html.escape(self.path.name)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"NetworkView({str(self.path)!r}, {len(self.html):,} characters)"


def show_network(
    G_or_result: Any,
    path: str | Path,
    *,
    title: str | None = None,
    attribution: str | None = None,
    physics: bool = False,
    height: int = 780,
    store: GraphStore | None = None,
    boundaries: str | Path | None = None,
) -> NetworkView:
    """Write the interactive page for a graph or a learning-network result and return a
    :class:`NetworkView` that displays it inline in classic Jupyter and JupyterLab."""
    p = Path(path)
    if isinstance(G_or_result, nx.Graph):
        page = network_html(
            G_or_result,
            title=title or p.stem,
            physics=physics,
            attribution=attribution or _default_attribution(G_or_result.graph),
        )
        _write_text(p, page)
    else:
        page = learning_network_html(
            G_or_result, p, attribution=attribution, physics=physics, store=store, boundaries=boundaries
        )
    return NetworkView(path=p, html=page, height=height)


# ---------------------------------------------------------------------------- subgraphs from a store


def store_subgraph(store: GraphStore, ags: Iterable[str], *, with_projects: bool = True) -> nx.Graph:
    """A display graph of municipalities (and the projects whose territory touches them).

    Nodes ``Municipality:<ags>`` (kind funded/candidate) and ``Project:<id>`` (kind project,
    placed at its lead key's centre, or its territory's mean position); edges MEMBER_OF from each
    municipality in a project's territory to the project; the KTS ties between drawn nodes, and a
    Kreis (``District:<key>``) or Verband (``Association:<key>``) tied to a drawn node (kind
    ``place``, at the mean centre of its Gemeinden). For quick looks and benchmarks; the
    analytics give richer graphs (``learning_networks(...).to_graph()``).
    """
    keys = sorted(set(ags))
    m = store.municipalities(keys)
    G = nx.Graph()
    for r in m.itertuples(index=False):
        G.add_node(
            f"Municipality:{r.ags}",
            kind="funded" if bool(r.funded) else "candidate",
            label=str(r.name),
            lat=_num(r.lat),
            lon=_num(r.lon),
            population=py(r.population),
            title=(
                f"{r.name} (AGS {r.ags})\nEinwohner / population: {_fmt(r.population)}\n"
                f"{'gefördert / funded' if bool(r.funded) else 'nicht gefördert / not funded'}\n"
                f"Quelle / source: {r.source} ({r.ref_date})"
            ),
        )
    if not with_projects or m.empty:
        return G
    terr = store.territories()
    terr = terr[terr["ags"].isin(set(m["ags"]))]
    if terr.empty:
        return G
    projects = store.projects().set_index("id")
    pos = m.set_index("ags")[["lat", "lon"]]
    all_pos = store.municipalities(sorted(set(terr["ags"])))[["ags", "lat", "lon"]].set_index("ags")
    for pid, rows in terr.groupby("project_id", sort=True):
        p = projects.loc[pid]
        lead = str(p["lead_key"])
        if lead in all_pos.index:
            lat, lon = all_pos.loc[lead, "lat"], all_pos.loc[lead, "lon"]
        else:
            here = pos.loc[[a for a in rows["ags"] if a in pos.index]]
            lat, lon = here["lat"].mean(), here["lon"].mean()
        G.add_node(
            f"Project:{pid}",
            kind="project",
            label=str(p["label"] or p["name"]),
            lat=_num(lat),
            lon=_num(lon),
            title=(
                f"{p['name']}\nModellprojekt / model project, Staffel / round {p['round']}, {p['category']}\n"
                f"Gebiet / territory: {_fmt(p['territory_size'])} Gemeinden\nQuelle / source: {p['source']}"
            ),
        )
        for a in rows["ags"]:
            G.add_edge(f"Municipality:{a}", f"Project:{pid}", type="MEMBER_OF", label="")
    _add_ties(store, G)
    return G


def _add_ties(store: GraphStore, G: nx.Graph) -> None:
    """The typed KTS ties (curated and imported) between nodes already drawn; a Kreis or Verband
    tied to a drawn node is drawn too (kind ``place``, at the mean centre of its Gemeinden)."""
    rel = store.relations()
    if rel.empty:
        return
    for r in rel.itertuples(index=False):
        u = f"{TIE_END_KIND.get(str(r.from_kind), NodeKind.MUNICIPALITY).value}:{r.from_key}"
        v = f"{TIE_END_KIND.get(str(r.to_kind), NodeKind.MUNICIPALITY).value}:{r.to_key}"
        for node, other in ((u, v), (v, u)):
            if node not in G and other in G:
                _add_place_node(store, G, node)
        if u in G and v in G:
            G.add_edge(u, v, type=str(r.type), label=str(r.type).replace("_", " ").lower(),
                       title=f"{r.type} ({r.source})")  # fmt: skip


def _add_place_node(store: GraphStore, G: nx.Graph, node: str) -> None:
    """A Kreis (``District:<key>``) or Verband (``Association:<key>``) node, if ``node`` is one."""
    kind, _, key = node.partition(":")
    if kind not in (NodeKind.DISTRICT.value, NodeKind.ASSOCIATION.value):
        return
    m = store.municipalities()
    col = "district_key" if kind == NodeKind.DISTRICT.value else "association_key"
    inside = m[(m[col] == key) & m["lat"].notna()]
    if inside.empty:
        return
    if kind == NodeKind.DISTRICT.value:
        d = store.districts()
        name, what = str(d.loc[d["key"] == key, "name"].iloc[0]), "Kreis"
    else:
        name, what = str(inside["association_name"].iloc[0]), "Gemeindeverband / Verband"
    G.add_node(
        node,
        kind="place",
        label=name,
        lat=_num(inside["lat"].mean()),
        lon=_num(inside["lon"].mean()),
        population=py(int(inside["population"].sum())),
        title=f"{name} ({what}, {key})\n{len(inside)} Gemeinden; Einwohner / population: "
        f"{_fmt(int(inside['population'].sum()))}\nPosition: Mittel der Gemeinden / mean of its Gemeinden",
    )


# ---------------------------------------------------------------------------- tables people read


def learning_network_sheets(result: Any) -> dict[str, Any]:
    """The tables of a learning-network result for XLSX/CSV readers: ``groups`` gains
    ``member_names`` (beside the AGS list) and ``topic_labels`` (beside the slugs), so a person
    reads names; ``members`` and ``unassigned`` as they are."""
    import pandas as pd

    groups: pd.DataFrame = result.groups.copy()
    members: pd.DataFrame = result.members
    names: dict[str, str] = {}
    if {"ags", "name"} <= set(members.columns):
        names = dict(zip(members["ags"].astype(str), members["name"].astype(str), strict=True))
    labels: dict[str, str] = {}
    for n, a in result.to_graph().nodes(data=True):
        if a.get("kind") == "topic" and ":" in str(n):
            labels[str(n).split(":", 1)[1]] = str(a.get("label") or n)
    if "members" in groups.columns:
        at = list(groups.columns).index("members") + 1
        groups.insert(
            at, "member_names", [[names.get(str(a), str(a)) for a in (m or [])] for m in groups["members"]]
        )
    if "topics" in groups.columns:
        at = list(groups.columns).index("topics") + 1
        groups.insert(
            at, "topic_labels", [[labels.get(str(t), str(t)) for t in (ts or [])] for ts in groups["topics"]]
        )
    return {"groups": groups, "members": members, "unassigned": result.unassigned}
