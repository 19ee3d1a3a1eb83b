"""Contract of the manifest-files port (``domain/ports/manifests.py``), run
against every implementation (today YAML files on disk)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.ports.manifests import ManifestFiles


def _yaml() -> ManifestFiles:
    from pilotdeck.adapters.manifests import YamlManifestFiles

    return YamlManifestFiles()


IMPLEMENTATIONS: dict[str, Callable[[], ManifestFiles]] = {"yaml-files": _yaml}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def files(request: pytest.FixtureRequest) -> ManifestFiles:
    return IMPLEMENTATIONS[request.param]()


def test_write_then_read_round_trips_in_key_order(files: ManifestFiles, tmp_path: Path) -> None:
    doc = {"kind": "Pilot", "metadata": {"name": "churn"}, "spec": {"problem": "é ✓"}}
    path = files.write(tmp_path / "out", "churn", doc)
    assert path.parent == tmp_path / "out" and not list(path.parent.glob("*.tmp"))
    [raw] = files.read(path)
    assert raw.data == doc and list(raw.data) == ["kind", "metadata", "spec"]
    assert raw.source == str(path)


def test_a_directory_and_multi_document_files(files: ManifestFiles, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text("kind: A\n")
    (tmp_path / "sub" / "b.yml").write_text("kind: B1\n---\nkind: B2\n")
    (tmp_path / "notes.txt").write_text("kind: ignored\n")
    got = files.read(tmp_path)
    assert [r.data["kind"] for r in got] == ["A", "B1", "B2"]
    assert got[2].source.endswith("b.yml#2")


def test_errors_name_the_file_and_line(files: ManifestFiles, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: A\n  broken: [\n")
    with pytest.raises(ValidationFailed) as exc:
        files.read(tmp_path)
    assert exc.value.errors[0].source == str(tmp_path / "bad.yaml")
    assert "line" in exc.value.errors[0].problem
    with pytest.raises(ValidationFailed):
        files.read(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationFailed):
        files.read(tmp_path / "empty")
