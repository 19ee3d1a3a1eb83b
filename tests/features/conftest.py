"""Feature-store fixtures: a platform over a tmp lake with the tiny feature world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.auth.roles import local_admin
from tests.backends import missing
from tests.features.fixtures import write_stats

ADMIN = local_admin("features")


@pytest.fixture
def feast_required() -> None:
    try:
        import feast  # noqa: F401
    except ImportError:
        missing("Feast is not installed (pip install -e '.[test,features]')")


def make_platform(home: Path, **settings: Any) -> Any:
    from pilotdeck.config import Settings
    from pilotdeck.platform import Platform

    platform = Platform(Settings(home=home, **settings))
    write_stats(platform.lake.table_dir("customer_stats"))
    return platform


@pytest.fixture
def fplatform(tmp_path: Path, feast_required: None) -> Iterator[Any]:
    platform = make_platform(tmp_path / "home")
    yield platform
    platform.close()
