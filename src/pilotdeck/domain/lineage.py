"""Lineage nodes and the walk over run edges (input node -> job run -> output node).

A node is what a job reads or writes, named by one string:

- ``dataset:NAME`` or ``dataset:NAME@VERSION`` (a catalogued table; the version is
  its Delta version; without a version the node stands for every version),
- ``model:PILOT/VERSION`` (``model:PILOT`` stands for every version),
- ``job:NAME`` (``batch.score``, ``data.register``; in a query: every run of it),
- ``file:/ABSOLUTE/PATH`` (a plain table no catalogue knows),
- ``profile:NAME`` (a stored reference profile in the lake).

The walk is pure: it asks a ``fetch`` function (the store's indexed query) for the
runs touching a set of nodes, so it is cycle-safe and depth-limited in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.pilot import NAME_RE as PILOT_RE

__all__ = ["DATASET_RE", "JOB_RE", "KINDS", "Direction", "Fetch", "Graph", "Node", "Run",
           "check_job", "dataset_version", "matches", "parse_node", "parse_nodes", "traverse"]

DATASET_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
JOB_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")
PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_PATH = 1024
MAX_VERSION = 2**53  # versions travel as JSON numbers; beyond this they are not exact
KINDS = ("dataset", "model", "job", "file", "profile")

Direction = Literal["upstream", "downstream"]


@dataclass(frozen=True)
class Node:
    """One lineage node; ``str(node)`` is its id, and ``parse_node`` reads it back."""

    kind: str
    name: str
    version: int | None = None

    def __str__(self) -> str:
        if self.version is None:
            return f"{self.kind}:{self.name}"
        sep = "@" if self.kind == "dataset" else "/"
        return f"{self.kind}:{self.name}{sep}{self.version}"

    def sort_key(self) -> tuple[str, str, int]:
        return (self.kind, self.name, -1 if self.version is None else self.version)

    @property
    def key(self) -> str:
        """The id without its version: what an unversioned query node matches."""
        return f"{self.kind}:{self.name}"


def _bad(field_name: str, problem: str) -> ValidationFailed:
    # The problem only, never the input: node strings come from requests.
    return ValidationFailed("invalid lineage node", [FieldError(field_name, problem)])


def _version(text: str, field_name: str, least: int) -> int:
    if (not text.isascii() or not text.isdigit() or len(text) > 16
            or (len(text) > 1 and text[0] == "0")):  # one spelling per version
        raise _bad(field_name, f"the version must be an integer >= {least}")
    v = int(text)
    if not least <= v <= MAX_VERSION:
        raise _bad(field_name, f"the version must be an integer >= {least}")
    return v


def check_job(name: str, field_name: str = "job") -> str:
    """A job name: lower-case letters, digits, '.', '_' and '-', at most 100."""
    if not isinstance(name, str) or not JOB_RE.match(name):
        raise _bad(field_name, "a job name is lower-case letters, digits, '.', '_' and '-', "
                               "starting with a letter, at most 100 characters")
    return name


def parse_node(text: str, field_name: str = "node") -> Node:
    """Read a node id (see the module docstring); ``ValidationFailed`` names the field."""
    if not isinstance(text, str) or ":" not in text:
        raise _bad(field_name, f"must be KIND:NAME with KIND one of {', '.join(KINDS)}")
    kind, _, rest = text.partition(":")
    if kind == "dataset":
        name, at, ver = rest.partition("@")
        if not DATASET_RE.match(name):
            raise _bad(field_name, "a dataset name is lower-case letters, digits, '_' and '-', "
                                   "starting with a letter, at most 63 characters")
        return Node("dataset", name, _version(ver, field_name, 0) if at else None)
    if kind == "model":
        name, slash, ver = rest.partition("/")
        if not PILOT_RE.match(name):
            raise _bad(field_name, "a model node is model:PILOT/VERSION with a valid pilot name")
        return Node("model", name, _version(ver, field_name, 1) if slash else None)
    if kind == "job":
        return Node("job", check_job(rest, field_name))
    if kind == "file":
        if (not rest.startswith("/") or len(rest) > MAX_PATH
                or any(ord(c) < 32 or ord(c) == 127 for c in rest)
                or "/../" in rest + "/" or "/./" in rest + "/" or "//" in rest):
            raise _bad(field_name, f"a file node is file:/ABSOLUTE/PATH (normalised, at most "
                                   f"{MAX_PATH} characters, no control characters)")
        return Node("file", rest)
    if kind == "profile":
        if not PROFILE_RE.match(rest):
            raise _bad(field_name, "a profile name is letters, digits, '.', '_' and '-', "
                                   "at most 100 characters")
        return Node("profile", rest)
    raise _bad(field_name, f"the kind must be one of {', '.join(KINDS)}")


def parse_nodes(texts: Iterable[str], field_name: str) -> list[Node]:
    """Several nodes (a job's inputs or outputs), each error naming its index."""
    out = []
    for i, t in enumerate(texts):
        out.append(parse_node(t, f"{field_name}[{i}]"))
    return out


def matches(query: Node, node: Node) -> bool:
    """Whether a stored node answers to a query node (no version: every version)."""
    if query.version is None:
        return query.key == node.key
    return query == node


@dataclass(frozen=True)
class Run:
    """One recorded run of a job: what it read and what it wrote."""

    run_id: str
    job: str
    event_type: str
    time: str
    inputs: tuple[Node, ...] = ()
    outputs: tuple[Node, ...] = ()

    def near(self, direction: Direction) -> tuple[Node, ...]:
        """The side a walk arrives from: outputs going upstream, inputs going down."""
        return self.outputs if direction == "upstream" else self.inputs

    def far(self, direction: Direction) -> tuple[Node, ...]:
        return self.inputs if direction == "upstream" else self.outputs


# Runs touching any of the nodes on the side the walk arrives from (a job node:
# every run of that job). The store answers this with indexed queries.
Fetch = Callable[[frozenset[Node], Direction], Iterable[Run]]


@dataclass
class Graph:
    """What a walk found: the runs, and every node they read or wrote."""

    start: Node
    direction: Direction
    depth: int | None
    runs: dict[str, Run] = field(default_factory=dict)

    @property
    def nodes(self) -> list[Node]:
        seen = {self.start}
        for r in self.runs.values():
            seen.update(r.inputs)
            seen.update(r.outputs)
        return sorted(seen, key=Node.sort_key)

    @property
    def edges(self) -> list[tuple[str, str]]:
        """(source, target) pairs: input node -> run id -> output node."""
        out: set[tuple[str, str]] = set()
        for r in self.runs.values():
            out.update((str(n), r.run_id) for n in r.inputs)
            out.update((r.run_id, str(n)) for n in r.outputs)
        return sorted(out)


def _touches(run: Run, frontier: frozenset[Node], direction: Direction) -> bool:
    return any((q.kind == "job" and q.name == run.job)
               or any(matches(q, n) for n in run.near(direction)) for q in frontier)


def traverse(start: Node, direction: Direction, fetch: Fetch,
             depth: int | None = None) -> Graph:
    """Walk from ``start`` up or down at most ``depth`` runs deep (None: until
    nothing new turns up); every run and node is visited once, so cycles end."""
    if depth is not None and depth < 0:
        raise ValidationFailed("invalid lineage query", [FieldError("depth", "must be >= 0")])
    graph = Graph(start, direction, depth)
    seen_nodes: set[Node] = {start}
    frontier = frozenset({start})
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        new_runs = [r for r in fetch(frontier, direction)
                    if r.run_id not in graph.runs and _touches(r, frontier, direction)]
        nxt: set[Node] = set()
        for r in sorted(new_runs, key=lambda r: r.run_id):
            graph.runs[r.run_id] = r
            nxt.update(n for n in r.far(direction) if n not in seen_nodes)
        seen_nodes |= nxt
        frontier = frozenset(nxt)
    return graph


_BARE_DATASET_VERSION = re.compile(r"^[a-z][a-z0-9_-]{0,62}@[0-9]{1,16}$")


def dataset_version(label: str, field_name: str) -> Node | None:
    """The dataset version a model's training-data label names, if it names one.

    ``NAME@VERSION`` and ``dataset:NAME@VERSION`` are catalogued dataset versions
    (lineage); ``dataset:…`` must be one, with its version. Any other label
    (``crm_events@v1``, a URI) is kept as free text, as before the catalogue."""
    if label.startswith("dataset:"):
        node = parse_node(label, field_name)
        if node.version is None:
            raise _bad(field_name, "name the dataset version the model was trained on "
                                   "(dataset:NAME@VERSION)")
        return node
    if _BARE_DATASET_VERSION.match(label):
        return parse_node("dataset:" + label, field_name)
    return None
