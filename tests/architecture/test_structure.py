"""The house rules that import-linter cannot see: module size, and a CLI that
starts without the heavy libraries (checked by import list, not by a timer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "pilotdeck"
MAX_LINES = 400
HEAVY = ("pandas", "scipy", "sklearn", "mlflow", "pyarrow", "numpy", "sqlalchemy", "fastapi",
         "duckdb", "matplotlib", "pyspark", "httpx", "cryptography")


def test_no_module_over_400_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"


def _imported_after(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has imported after running ``code``."""
    probe = (f"{code}\nimport sys, json\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_cli_entry_point_imports_no_heavy_library() -> None:
    loaded = _imported_after("import pilotdeck.cli.main")
    assert not loaded & set(HEAVY), f"`import pilotdeck.cli.main` pulled in {loaded & set(HEAVY)}"


@pytest.mark.parametrize("argv", [["version"], ["--version"]])
def test_version_is_answered_before_any_third_party_import(argv: list[str]) -> None:
    """The console script prints the version from the standard library alone
    (the ≤ 0.3 s start-up target; ``make bench-startup`` times it)."""
    code = (f"import sys\nsys.argv = ['pilotdeck', *{argv!r}]\n"
            "from pilotdeck.cli.entry import run\nrun()")
    loaded = _imported_after(code)
    at_start = _imported_after("pass")  # what site.py loads (.pth hooks), before pilotdeck
    third_party = loaded - at_start - set(sys.stdlib_module_names) - {"pilotdeck"}
    assert not third_party, f"pilotdeck {' '.join(argv)} imported {third_party}"


@pytest.mark.parametrize("argv", [["version"], ["--version"], ["pilots", "--version"]])
def test_both_entries_print_the_same_version(argv: list[str]) -> None:
    from pilotdeck._version import __version__

    for entry in ("pilotdeck.cli.entry", "pilotdeck.cli.main"):
        code = f"import sys\nsys.argv = ['pilotdeck', *{argv!r}]\nfrom {entry} import run\nrun()"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if argv[0] == "pilots":  # --version belongs to the root command only
            assert out.returncode == 2 and "No such option" in out.stderr, out.stderr
        else:
            assert out.returncode == 0 and out.stdout == f"{__version__}\n", (entry, out)


@pytest.mark.parametrize("argv", [["version"], ["audit", "verify", "--help"],
                                  ["monitor", "drift", "--help"]])
def test_light_commands_import_no_heavy_library(argv: list[str]) -> None:
    code = ("import sys\nfrom pilotdeck.cli.main import app\n"
            f"try:\n    app({argv!r}, standalone_mode=False)\nexcept SystemExit:\n    pass")
    loaded = _imported_after(code)
    assert not loaded & set(HEAVY), f"pilotdeck {' '.join(argv)} pulled in {loaded & set(HEAVY)}"


def test_pilots_list_needs_the_store_but_no_science(tmp_path: Path) -> None:
    code = ("import os\n"
            f"os.environ['PILOTDECK_HOME'] = {str(tmp_path)!r}\n"
            "from pilotdeck.cli.main import app\n"
            "app(['pilots', 'list', '--format', 'json'], standalone_mode=False)")
    loaded = _imported_after(code)
    science = {"pandas", "scipy", "sklearn", "mlflow", "pyarrow", "matplotlib", "pyspark"}
    assert not loaded & science, f"pilots list pulled in {loaded & science}"


def test_monitor_drift_imports_no_mlflow_sklearn_or_fastapi(tmp_path: Path) -> None:
    code = ("import os\nimport numpy as np, pandas as pd\n"
            f"os.environ['PILOTDECK_HOME'] = {str(tmp_path)!r}\n"
            f"pd.DataFrame({{'x': np.arange(50.0)}}).to_parquet({str(tmp_path / 'r.parquet')!r})\n"
            "from pilotdeck.cli.main import app\n"
            f"app(['monitor', 'drift', '--reference', {str(tmp_path / 'r.parquet')!r}, "
            f"'--current', {str(tmp_path / 'r.parquet')!r}, '--format', 'json'], "
            "standalone_mode=False)")
    loaded = _imported_after(code)
    banned = {"mlflow", "sklearn", "fastapi"}
    assert not loaded & banned, f"monitor drift pulled in {loaded & banned}"


def test_a_bad_option_is_a_usage_error_not_an_internal_error(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "pilotdeck", "pilots", "list", "--bogus"],
                         capture_output=True, text=True, env={"PILOTDECK_HOME": str(tmp_path),
                                                              "PATH": "/usr/bin:/bin"})
    assert out.returncode == 2
    assert "No such option: --bogus" in out.stderr and "internal error" not in out.stderr
