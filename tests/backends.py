"""Real backends (PostgreSQL, Redis, Spark, Evidently): skip without them, except in CI.

A developer without, say, Java still gets a useful run; CI (``CI`` set, as
``.ci/run`` does) must have every backend, so there a missing one is a failure,
never a quiet skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(what: str) -> NoReturn:
    """Skip the test because ``what`` is unavailable; fail it instead in CI."""
    if in_ci():
        pytest.fail(f"{what} (CI must have it)", pytrace=False)
    pytest.skip(what)


def require_spark() -> None:
    """pyspark importable and a Java runtime to run it."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        missing(f"pyspark is not installed ({exc})")
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None or not Path(java).is_file() or subprocess.run(
            [java, "-version"], capture_output=True, timeout=60).returncode != 0:
        missing("no Java runtime for Spark")


def require_redis(host: str = "127.0.0.1", port: int = 6379) -> None:
    import redis

    try:
        redis.Redis(host=host, port=port, socket_timeout=2).ping()
    except redis.RedisError as exc:
        missing(f"Redis not reachable at {host}:{port} ({exc})")
