"""Quality suites and results of catalogued datasets, kept under ``quality/NAME/``.

``suite.yaml`` is the editable pandera suite; ``v{VERSION}.json`` the result of
running it on one version. Files are written aside and renamed, so a reader
never sees half a file; the caller (the lake) validates names and resolves the
directory inside the lake.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from pilotdeck.domain.errors import FieldError, ValidationFailed

DATASET_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
RESULT_RE = re.compile(r"^v(0|[1-9][0-9]{0,17})\.json$")
SUITE = "suite.yaml"
MAX_SUITE_BYTES = 1_000_000  # a suite is a page of YAML, not a data file


def check_dataset_name(name: str) -> str:
    if not isinstance(name, str) or not DATASET_RE.fullmatch(name):
        raise ValidationFailed("invalid dataset name", [FieldError(
            "name", "lowercase letters, digits, '_' and '-', starting with a letter, "
                    "at most 63 characters")])
    return name


def check_version(version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version < 10**18:
        raise ValidationFailed("invalid dataset version", [FieldError(
            "version", "a dataset version is a whole number >= 0")])
    return version


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # A temporary name of its own: two writers never share (and tear) one aside file.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def save_suite(directory: Path, text: str) -> None:
    if len(text.encode()) > MAX_SUITE_BYTES:
        raise ValidationFailed("invalid quality suite", [FieldError(
            "suite", f"at most {MAX_SUITE_BYTES} bytes")])
    _write(directory / SUITE, text)


def load_suite(directory: Path) -> str | None:
    path = directory / SUITE
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("invalid quality suite", [FieldError(
            "suite", f"not UTF-8 text (byte {exc.start})", str(path))]) from None


def save_result(directory: Path, version: int, result: dict[str, Any]) -> None:
    try:
        text = json.dumps(result, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("invalid quality result", [FieldError(
            "result", f"not storable as JSON: {str(exc)[:100]}")]) from None
    _write(directory / f"v{version}.json", text)


def load_result(directory: Path, version: int) -> dict[str, Any] | None:
    path = directory / f"v{version}.json"
    if not path.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both are
        raise ValidationFailed("unreadable quality result", [FieldError(
            "result", f"not a JSON result: {str(exc)[:100]}", path.name)]) from None
    if not isinstance(data, dict):
        raise ValidationFailed("unreadable quality result", [FieldError(
            "result", "not a JSON object", path.name)])
    return data


def list_results(directory: Path) -> list[dict[str, Any]]:
    """Every stored result, oldest version first."""
    if not directory.is_dir():
        return []
    versions = sorted(int(p.name[1:-5]) for p in directory.iterdir() if RESULT_RE.fullmatch(p.name))
    return [r for v in versions if (r := load_result(directory, v)) is not None]
