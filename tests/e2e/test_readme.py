"""The README's quick start, checked without running the demo: every ``pilotdeck``
command in it exists with the options it is given, every request that sends a
body says its Content-Type, no body holds a "…" placeholder, and the token the
curl lines use is set before they use it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli import run_cli

README = Path(__file__).resolve().parents[2] / "README.md"


def quick_start(section: str = "Quick start") -> list[str]:
    """A section's first bash block as logical lines (continuations joined)."""
    text = README.read_text(encoding="utf-8")
    block = text.split(f"## {section}\n", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [" ".join(line.split()) for line in block.replace("\\\n", " ").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def pilotdeck_commands(lines: list[str]) -> list[list[str]]:
    """Each ``pilotdeck ARGS`` invocation, up to a pipe, comment, `&` or `)`."""
    out = []
    for line in lines:
        for m in re.finditer(r"(?:^|[\s(])pilotdeck ([^|#&)]*)", line):
            out.append(shlex.split(m.group(1)))
    return out


def test_the_quick_start_uses_the_api_and_gateway_commands() -> None:
    commands = [c[0] for c in pilotdeck_commands(quick_start())]
    assert "api" in commands and "gateway" in commands
    assert "server" not in commands and "serve" not in commands


SECTIONS = ("Quick start", "Datasets", "Lineage", "SLA and runbook", "Programme ROI",
            "Centre of excellence", "Playbook")


@pytest.mark.parametrize("args", [c for section in SECTIONS
                                  for c in pilotdeck_commands(quick_start(section))],
                         ids=lambda a: " ".join(a)[:40])
def test_every_quick_start_command_exists_with_its_options(args: list[str],
                                                           tmp_path: Path) -> None:
    # --help is eager: Click checks the command path and the options before it, and
    # prints help instead of running. An unknown command or option exits 2.
    r = run_cli(*args, "--help", env={"PILOTDECK_HOME": str(tmp_path)})
    assert r.returncode == 0, (args, r.stderr)


def test_requests_with_a_body_are_complete_and_the_tokens_are_set() -> None:
    lines = quick_start()
    text = "\n".join(lines)
    curls = [line for line in lines if "curl " in line and " -d " in line]
    assert len(curls) == 2  # a prediction and its feedback
    for c in curls:
        assert '-H "Content-Type: application/json"' in c, c
        body = c.split(" -d ", 1)[1]
        assert "…" not in body and "..." not in body, c
    for var in ("TOKEN", "APP", "RID", "OUT"):
        assert text.index(f"{var}=") < text.index(f"${var}"), var
