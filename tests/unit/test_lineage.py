"""Lineage nodes and the walk: parsing, matching, depth, cycles (pure, no store)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.lineage import Direction, Node, Run, matches, parse_node, traverse


@pytest.mark.parametrize("text, node", [
    ("dataset:churn_features", Node("dataset", "churn_features")),
    ("dataset:churn-features@0", Node("dataset", "churn-features", 0)),
    ("dataset:x@12", Node("dataset", "x", 12)),
    ("model:churn-prediction/3", Node("model", "churn-prediction", 3)),
    ("model:churn-prediction", Node("model", "churn-prediction")),
    ("job:batch.score", Node("job", "batch.score")),
    ("job:data.register", Node("job", "data.register")),
    ("file:/srv/data/in.parquet", Node("file", "/srv/data/in.parquet")),
    ("profile:churn-prediction.v1", Node("profile", "churn-prediction.v1")),
])
def test_a_node_id_reads_back_to_itself(text: str, node: Node) -> None:
    assert parse_node(text) == node
    assert str(node) == text


@pytest.mark.parametrize("text", [
    "", "dataset", "dataset:", "dataset:Churn", "dataset:1abc", "dataset:a@", "dataset:a@-1",
    "dataset:a@1.5", "dataset:a@١", "dataset:" + "a" * 64, "model:churn", "model:Churn/1",
    "model:churn/0", "model:churn/x", "model:-bad/1", "job:", "job:Batch", "job:" + "a" * 101,
    "file:relative/path", "file:/a/../etc/passwd", "file:/a\nb", "file:/a//b", "file:/a/./b",
    "file:/" + "a" * 1100, "profile:../x", "profile:", "table:x", "dataset:a@99999999999999999",
    "dataset:a@1@2", "dataset:a\x00", "dataset:a@00", "model:churn/01",
])
def test_a_bad_node_is_refused_naming_the_field_not_echoing_it(text: str) -> None:
    if text == "model:churn":  # a model without a version is every version: valid
        assert parse_node(text) == Node("model", "churn")
        return
    with pytest.raises(ValidationFailed) as err:
        parse_node(text, "node")
    assert err.value.errors[0].field == "node"
    if len(text) > 12:
        assert text not in str(err.value)


def test_an_unversioned_dataset_matches_every_version() -> None:
    assert matches(Node("dataset", "x"), Node("dataset", "x", 0))
    assert matches(Node("dataset", "x"), Node("dataset", "x", 7))
    assert not matches(Node("dataset", "x", 1), Node("dataset", "x", 0))
    assert not matches(Node("dataset", "x"), Node("dataset", "xy", 0))
    assert not matches(Node("dataset", "x"), Node("model", "x", 1))


def fetch_from(runs: list[Run]):  # type: ignore[no-untyped-def]
    """The store's query, over a list: runs with a frontier node on the near side."""
    calls: list[frozenset[Node]] = []

    def fetch(nodes: frozenset[Node], direction: Direction) -> Iterable[Run]:
        calls.append(nodes)
        return [r for r in runs if any(
            (q.kind == "job" and q.name == r.job) or any(matches(q, n) for n in r.near(direction))
            for q in nodes)]

    fetch.calls = calls  # type: ignore[attr-defined]
    return fetch


D0, D1 = Node("dataset", "raw", 0), Node("dataset", "raw", 1)
FEAT = Node("dataset", "features", 0)
MODEL = Node("model", "churn", 1)
OUT = Node("file", "/out/scores.parquet")
CHAIN = [
    Run("r1", "data.features", "COMPLETE", "t1", (D0,), (FEAT,)),
    Run("r2", "model.register", "COMPLETE", "t2", (FEAT,), (MODEL,)),
    Run("r3", "batch.score", "COMPLETE", "t3", (MODEL, D1), (OUT,)),
]


def test_downstream_follows_the_chain_and_depth_stops_it() -> None:
    g = traverse(D0, "downstream", fetch_from(CHAIN))
    assert set(g.runs) == {"r1", "r2", "r3"}
    assert OUT in g.nodes and D1 in g.nodes  # r3's other input is shown as context
    assert ("r2", "model:churn/1") in g.edges and ("model:churn/1", "r3") in g.edges
    assert set(traverse(D0, "downstream", fetch_from(CHAIN), depth=1).runs) == {"r1"}
    assert set(traverse(D0, "downstream", fetch_from(CHAIN), depth=2).runs) == {"r1", "r2"}
    assert traverse(D0, "downstream", fetch_from(CHAIN), depth=0).runs == {}


def test_upstream_of_the_output_reaches_the_raw_data() -> None:
    g = traverse(OUT, "upstream", fetch_from(CHAIN))
    assert set(g.runs) == {"r1", "r2", "r3"}
    assert {D0, D1, FEAT, MODEL} <= set(g.nodes)
    up = traverse(MODEL, "upstream", fetch_from(CHAIN))
    assert set(up.runs) == {"r1", "r2"}  # the batch run read the model: not upstream


def test_an_unversioned_start_finds_every_version_and_a_job_its_runs() -> None:
    assert set(traverse(Node("dataset", "raw"), "downstream", fetch_from(CHAIN),
                        depth=1).runs) == {"r1", "r3"}
    g = traverse(Node("job", "batch.score"), "upstream", fetch_from(CHAIN), depth=1)
    assert set(g.runs) == {"r3"} and {MODEL, D1} <= set(g.nodes)


def test_a_cycle_ends() -> None:
    a, b = Node("dataset", "a", 0), Node("dataset", "b", 0)
    runs = [Run("x", "j", "COMPLETE", "t", (a,), (b,)), Run("y", "k", "COMPLETE", "t", (b,), (a,))]
    fetch = fetch_from(runs)
    g = traverse(a, "downstream", fetch)
    assert set(g.runs) == {"x", "y"}
    assert len(fetch.calls) <= 3  # type: ignore[attr-defined]


def test_a_negative_depth_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        traverse(D0, "downstream", fetch_from(CHAIN), depth=-1)


NODES = [Node("dataset", f"d{i}", v) for i in range(5) for v in range(2)]


@st.composite
def graphs(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(0, 12))
    runs = []
    for i in range(n):
        ins = draw(st.lists(st.sampled_from(NODES), max_size=3, unique=True))
        outs = draw(st.lists(st.sampled_from(NODES), min_size=1, max_size=3, unique=True))
        runs.append(Run(f"r{i:02d}", f"j{i % 3}", "COMPLETE", "t", tuple(ins), tuple(outs)))
    return runs


def _reachable(runs: list[Run], start: Node, direction: Direction) -> set[str]:
    """The obvious fixpoint, to check the walk against."""
    found: set[str] = set()
    nodes = {start}
    while True:
        new = {r.run_id for r in runs if r.run_id not in found
               and any(matches(q, n) for q in nodes for n in r.near(direction))}
        if not new:
            return found
        found |= new
        nodes |= {n for r in runs if r.run_id in new for n in r.far(direction)}


@settings(max_examples=150, deadline=None)
@given(graphs(), st.sampled_from(NODES + [Node("dataset", f"d{i}") for i in range(5)]),
       st.sampled_from(["upstream", "downstream"]),
       st.integers(0, 6))
def test_the_walk_finds_exactly_what_is_reachable_and_depth_only_prunes(
        runs: list[Run], start: Node, direction: Direction, depth: int) -> None:
    whole = traverse(start, direction, fetch_from(runs))
    assert set(whole.runs) == _reachable(runs, start, direction)
    limited = traverse(start, direction, fetch_from(runs), depth=depth)
    assert set(limited.runs) <= set(whole.runs)
    if depth >= len(runs):
        assert set(limited.runs) == set(whole.runs)
    for s, t in whole.edges:  # every edge touches a run the walk found
        assert s in whole.runs or t in whole.runs
    assert whole.nodes[0] == start or start in whole.nodes  # sortable, start included


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.builds(lambda n, v: f"dataset:{n}" + ("" if v is None else f"@{v}"),
              st.from_regex(r"\A[a-z][a-z0-9_-]{0,62}\Z"), st.none() | st.integers(0, 10**9)),
    st.builds(lambda n, v: f"model:{n}/{v}",
              st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z"), st.integers(1, 10**9)),
    st.builds(lambda n: f"job:{n}", st.from_regex(r"\A[a-z][a-z0-9_.-]{0,99}\Z")),
))
def test_every_valid_node_id_reads_back_to_itself(text: str) -> None:
    assert str(parse_node(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.sampled_from(["dataset:a@01", "model:m/007", "dataset:a@0"]))
def test_any_text_parses_or_is_a_validation_error(text: str) -> None:
    try:
        node = parse_node(text)
    except ValidationFailed as err:
        assert err.errors[0].field == "node"
    else:
        assert str(node) == text  # only canonical ids are accepted
