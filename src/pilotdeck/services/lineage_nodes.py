"""Node ids for what jobs read and write, kept light (no OpenLineage import) so the
services that emit lineage can name their inputs before doing any work."""

from __future__ import annotations

from pathlib import Path

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.lineage import dataset_version, parse_node

__all__ = ["dataset_inputs", "dataset_names", "file_node"]


def file_node(path: str | Path) -> str | None:
    """``file:/ABSOLUTE/PATH`` of a plain table, or None for a path no node can
    name (control characters, over 1024 characters): lineage never fails a job."""
    text = "file:" + str(Path(path).expanduser().resolve())
    try:
        parse_node(text)
    except ValidationFailed:
        return None
    return text


def dataset_names(labels: list[str]) -> list[str]:
    """The dataset names a model's training-data labels point at (``dataset:NAME@V``
    or ``NAME@V``), for reports about stored versions: a label that is not one, or a
    malformed one kept from before the catalogue, names nothing (never an error)."""
    out = []
    for label in labels:
        try:
            node = dataset_version(label, "datasets")
        except ValidationFailed:
            continue
        if node is not None:
            out.append(node.name)
    return out


def dataset_inputs(labels: list[str]) -> list[str]:
    """The dataset-version nodes among a model's training-data labels."""
    out = []
    for i, label in enumerate(labels):
        node = dataset_version(label, f"datasets[{i}]")
        if node is not None:
            out.append(str(node))
    return out
