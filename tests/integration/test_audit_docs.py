"""docs/audit.md's offline recipe, extracted and run exactly as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli import run_cli
from tests.conftest import REPO

DOC = REPO / "docs" / "audit.md"


def recipe() -> str:
    """Every ```python block of the page, in order: one script."""
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), re.S | re.M)
    assert len(blocks) >= 3, "the recipe lost its code blocks"
    return "\n".join(blocks)


def run_recipe(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", recipe()], cwd=where, text=True,
                          capture_output=True, timeout=60)


@pytest.fixture
def inputs(platform: Any, admin: Any, demo_pilots: Path, tmp_path: Path) -> Path:
    """The three files the page tells the reader to save, made with the CLI commands
    it names."""
    platform.portfolio.import_path(demo_pilots, admin)
    env = {"PILOTDECK_HOME": str(platform.settings.home),
           "PILOTDECK_DB_URL": platform.settings.db_url}
    assert run_cli("audit", "checkpoint", env=env).returncode == 0
    for args in (("audit", "checkpoint", "export", "--out", str(tmp_path / "checkpoint.txt")),
                 ("audit", "public-key", "--out", str(tmp_path / "audit-ed25519.pub"))):
        assert run_cli(*args, env=env).returncode == 0
    proof = run_cli("audit", "proof", "5", "--size", "16", env=env)
    assert proof.returncode == 0, proof.stderr
    (tmp_path / "proof.json").write_text(proof.stdout)
    return tmp_path


def test_the_documented_recipe_verifies_a_real_proof(inputs: Path) -> None:
    done = run_recipe(inputs)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("tamper", ["event", "body", "path", "note"])
def test_the_documented_recipe_rejects_tampering(inputs: Path, tamper: str) -> None:
    proof = json.loads((inputs / "proof.json").read_text())
    if tamper == "event":
        proof["event"]["actor"] = "local:mallory"
    elif tamper == "body":
        proof["body"] = proof["body"].replace("local:", "local:x")
    elif tamper == "path":
        proof["path"][0] = "00" * 32
    else:
        note = inputs / "checkpoint.txt"
        note.write_text(note.read_text().replace("size: 16", "size: 15"))
    (inputs / "proof.json").write_text(json.dumps(proof))
    assert run_recipe(inputs).returncode != 0
