"""The CLI as a new user meets it: usage errors are one line that says what to do
(exit 2), failures one line (exit 1); a taken port, a missing extra, a mistyped
pilot or home are each said plainly; the old server command names still work."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from tests.cli import Result, run_cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PILOTDECK_")},
            "PILOTDECK_HOME": str(home), "COLUMNS": "200"}


def one_error_line(r: Result) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "expected", "where"), [
    (["pilots", "list", "--bogus"], "No such option: --bogus", "pilotdeck pilots list --help"),
    (["pilots", "show"], "Missing argument 'name'", "pilotdeck pilots show --help"),
    (["pilotz"], "Did you mean 'pilots'", "pilotdeck --help"),
    (["pilots", "lst"], "Did you mean 'list'", "pilotdeck pilots --help"),
    (["assess", "run", "--target", "abc"], "Invalid value for '--target'",
     "pilotdeck assess run --help"),
    (["models", "rollback", "X"], "Missing option '--reason'",
     "pilotdeck models rollback --help"),
    (["pilots", "list", "--format", "xml"], "--format: must be one of table, json, csv", None),
    (["audit", "log", "--since", "yesterday"], "--since: must be an ISO date", None),
])
def test_usage_errors_are_one_line_with_what_to_do_and_exit_2(
        env: dict[str, str], args: list[str], expected: str, where: str | None) -> None:
    r = run_cli(*args, env=env)
    line = one_error_line(r)
    assert r.returncode == 2 and expected in line and r.stdout == ""
    if where is not None:
        assert f"(see `{where}`)" in line


def test_a_mistyped_pilot_gets_did_you_mean_and_exit_1(env: dict[str, str],
                                                       demo_pilots: Path) -> None:
    assert run_cli("pilots", "import", str(demo_pilots / "churn-prediction.yaml"),
                   env=env).returncode == 0
    r = run_cli("pilots", "show", "churn-predictoin", env=env)
    assert r.returncode == 1
    assert one_error_line(r) == ("error: pilot 'churn-predictoin' not found; did you mean "
                                 "'churn-prediction'?")
    r = run_cli("monitor", "health", "zzz", env=env)
    assert one_error_line(r) == "error: pilot 'zzz' not found (see `pilotdeck pilots list`)"


def test_spark_without_pyspark_says_what_to_install(env: dict[str, str],
                                                    tmp_path: Path) -> None:
    table = tmp_path / "t.parquet"
    pd.DataFrame({"x": np.arange(10.0)}).to_parquet(table)
    with mock.patch.dict(sys.modules, {"pyspark": None}):  # as if it were not installed
        r = run_cli("monitor", "profile", "--input", str(table), "--name", "t",
                    "--engine", "spark", env=env)
    assert r.returncode == 1
    assert one_error_line(r) == ("error: Spark support (pyspark) is not installed: "
                                 "pip install 'pilotdeck[spark]'")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", ["api", "gateway"])
def test_a_taken_port_is_one_line_before_any_banner(env: dict[str, str], taken_port: int,
                                                   command: str) -> None:
    r = run_cli(command, "--port", str(taken_port), env=env)
    assert r.returncode == 1 and r.stdout == ""
    line = one_error_line(r)
    assert f"cannot listen on 127.0.0.1:{taken_port}" in line and "--port" in line


@pytest.mark.parametrize(("old", "new"), [("server", "api"), ("serve", "gateway")])
def test_the_old_names_still_run_and_say_the_new_one(env: dict[str, str], taken_port: int,
                                                     old: str, new: str) -> None:
    r = run_cli(old, "--port", str(taken_port), env=env)
    warning, error = r.stderr.strip().splitlines()
    assert warning.startswith(f"warning: `pilotdeck {old}` is now `pilotdeck {new}`")
    assert error.startswith(f"error: cannot listen on 127.0.0.1:{taken_port}")
    listed = run_cli("--help", env=env).stdout
    assert f" {new} " in listed and f" {old} " not in listed  # hidden from help


def test_a_new_home_is_announced_once(env: dict[str, str], tmp_path: Path) -> None:
    env["PILOTDECK_HOME"] = str(tmp_path / "typo")
    r = run_cli("pilots", "list", "--format", "json", env=env)
    assert r.returncode == 0 and r.stdout.strip() == "[]"
    assert r.stderr.strip() == f"new home created at {tmp_path / 'typo'} (set PILOTDECK_HOME " \
                               "to use another)"
    assert run_cli("pilots", "list", "--format", "json", env=env).stderr == ""


def test_audit_log_is_newest_first_and_says_how_to_page(env: dict[str, str],
                                                         demo_pilots: Path) -> None:
    import json

    assert run_cli("pilots", "import", str(demo_pilots), env=env).returncode == 0  # 16 events
    r = run_cli("audit", "log", "--limit", "5", "--format", "json", env=env)
    assert [e["seq"] for e in json.loads(r.stdout)] == [16, 15, 14, 13, 12]
    assert r.stderr.strip() == "more events match: showing 5; see further with --before 12"
    r = run_cli("audit", "log", "--limit", "5", "--before", "12", env=env)
    assert "5 newest event(s)" in r.stdout and " 11 " in r.stdout and " 12 " not in r.stdout
    r = run_cli("audit", "log", "--limit", "16", "--oldest-first", "--format", "json", env=env)
    assert [e["seq"] for e in json.loads(r.stdout)][:2] == [1, 2] and r.stderr == ""


def test_assess_run_keeps_earlier_answers_and_says_so(env: dict[str, str],
                                                      demo_pilots: Path) -> None:
    import json

    def dims(r: Result) -> dict[str, dict[str, object]]:
        assert r.returncode == 0, r.stderr
        return {d["id"]: d for d in json.loads(r.stdout)["dimensions"]}

    run_cli("pilots", "import", str(demo_pilots / "churn-prediction.yaml"), env=env)
    base = ["assess", "run", "--pilot", "churn-prediction", "--format", "json"]
    first = dims(run_cli(*base, "--score", "deployment=3", env=env))
    assert first["deployment"]["source"] == "direct"
    r = run_cli(*base, "--score", "team-process=2", env=env)  # one new score, one kept
    again = dims(r)
    assert again["deployment"]["level"] == 3 and again["deployment"]["source"] == "direct"
    assert again["team-process"]["source"] == "direct"
    assert r.stderr.startswith("churn-prediction: kept 1 answer(s)/score(s) from the "
                               "assessment of ")
    fresh = run_cli(*base, "--fresh", env=env)
    assert dims(fresh)["deployment"]["source"] != "direct" and fresh.stderr == ""


def test_error_texts_hold_no_python_reprs(env: dict[str, str], tmp_path: Path,
                                          demo_pilots: Path) -> None:
    missing = tmp_path / "nope.yaml"
    r = run_cli("assess", "run", "--answers", str(missing), env=env)
    assert one_error_line(r) == (f"error: cannot read answers: {missing}: --answers: "
                                 "no such file or directory")
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers: [unclosed\n")
    r = run_cli("assess", "run", "--answers", str(bad), env=env)
    assert "not valid YAML: " in one_error_line(r) and "Error" not in r.stderr
    run_cli("pilots", "import", str(demo_pilots / "churn-prediction.yaml"), env=env)
    r = run_cli("monitor", "drift", "--pilot", "churn-prediction", "--by", "week", env=env)
    line = one_error_line(r)
    assert "must be one of hour, day, variant" in line and "(" not in line, line


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import typer.main

    cmd = typer.main.get_command(group) if not hasattr(group, "commands") else group
    out = [prefix]
    for name, sub in getattr(cmd, "commands", {}).items():
        out += _commands(sub, (*prefix, name)) if hasattr(sub, "commands") else [
            (*prefix, name)]
    return out


def test_every_commands_help_renders(tmp_path: Path) -> None:
    """Help text is Rich markup: a bracket like ``[/VERSION]`` or ``[@V]`` in it
    crashes ``--help`` or silently vanishes from it."""
    from pilotdeck.cli.main import app

    paths = _commands(app)
    assert len(paths) > 80 and ("data", "grant") in paths
    for path in paths:
        r = run_cli(*path, "--help", env={"PILOTDECK_HOME": str(tmp_path), "COLUMNS": "300"})
        assert r.returncode == 0, (path, r.stderr)
    for path, shown in [(("lineage", "upstream"), "model:PILOT[/VERSION]"),
                        (("batch", "score"), "dataset:NAME[@VERSION]"),
                        (("monitor", "drift"), "dataset:NAME[@V]")]:
        out = run_cli(*path, "--help", env={"PILOTDECK_HOME": str(tmp_path), "COLUMNS": "300"})
        assert shown in out.stdout, path
