"""The Neo4j Browser material (docs/neo4j/): the style covers every label and type, and every
Cypher example of the README runs on a real Neo4j holding the demo graph."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lernnetz.graph.model import EdgeKind, GraphData, NodeKind

DOCS = Path(__file__).resolve().parents[1] / "docs" / "neo4j"


def test_grass_styles_every_label_and_relationship_type() -> None:
    text = (DOCS / "lernnetz.grass").read_text(encoding="utf-8")
    styled_nodes = set(re.findall(r"^node\.(\w+)\s*\{", text, flags=re.MULTILINE))
    styled_rels = set(re.findall(r"^relationship\.(\w+)\s*\{", text, flags=re.MULTILINE))
    assert {k.value for k in NodeKind} <= styled_nodes
    assert {k.value for k in EdgeKind} == styled_rels
    bodies = re.findall(r"^(?:node|relationship)[.\w]* \{\n(.*?)\n\}$", text, flags=re.MULTILINE | re.DOTALL)
    assert len(bodies) == 2 + len(styled_nodes) + len(styled_rels)
    for body in bodies:  # every line a `property: value;`
        for line in filter(None, (x.strip() for x in body.splitlines())):
            assert re.fullmatch(r"[a-z-]+: [^;]+;", line), line


def _examples() -> tuple[dict[str, Any], list[str]]:
    text = (DOCS / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```cypher\n(.*?)```", text, flags=re.DOTALL)
    params: dict[str, Any] = {}
    queries = []
    for b in blocks:
        if b.lstrip().startswith(":param"):
            for name, value in re.findall(r":param (\w+) => (.*?);", b):
                params[name] = json.loads(value)
        else:
            queries.append(b.strip())
    return params, queries


@pytest.mark.neo4j
def test_cypher_examples_run_on_the_demo_graph(neo4j_driver: Any, graph_data: GraphData) -> None:
    from lernnetz.graph.store.neo4j_store import Neo4jStore
    from lernnetz.graph.synthetic import synthetic_participation

    graph_id = "docs-examples"
    store = Neo4jStore(neo4j_driver, graph_id=graph_id)
    store.replace(graph_data)
    store.add_participation(synthetic_participation(store, n=10_000, seed=7))
    params, queries = _examples()
    assert params["hub"] == "ulm" and len(params["members"]) == 3 and len(queries) >= 5
    rows: dict[int, list[Any]] = {}
    with neo4j_driver.session(database="neo4j") as s:
        for i, q in enumerate(queries):
            rows[i] = s.run(q.replace('{id: "lernnetz"}', f'{{id: "{graph_id}"}}'), **params).data()
    assert len(rows[0]) == 73  # every project, once (the pointer picks one generation)
    assert rows[1], "the group query found no shared topic"
    why = rows[2]
    assert {r["member"] for r in why} <= {"Elchingen", "Erbach, Stadt", "Lonsee"} and why
    assert rows[3] == [{"project": "Ulm", "gemeinden": 1, "population": 126790}]
    assert all(r["candidates"] > 0 for r in rows[5])
