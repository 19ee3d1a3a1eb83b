"""The Python SDK against the real API app: typed views back, typed errors back,
in process (Starlette's test transport) and over a real socket (uvicorn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from pilotdeck import Client
from pilotdeck.api.app import create_app
from pilotdeck.auth.roles import Role
from pilotdeck.domain.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from pilotdeck.views.pilots import Pilot, PilotPage


@pytest.fixture
def app(platform: Any, admin: Any, demo_pilots: Path) -> Any:
    platform.portfolio.import_path(demo_pilots, admin)
    return create_app(platform)


def _client(app: Any, platform: Any, admin: Any, role: Role = Role.ADMIN) -> Client:
    pilots = ["churn-prediction"] if role is Role.PILOT_TEAM else []
    token = platform.access.create(f"sdk-{role.value}", role.value, pilots, admin).token
    return Client(http=TestClient(app), token=token)


def test_typed_views_in_process(app: Any, platform: Any, admin: Any) -> None:
    with _client(app, platform, admin) as pd:
        page = pd.pilots.list(status="pilot", limit=2)
        assert isinstance(page, PilotPage) and len(page.items) <= 2 and page.total >= 1
        one = pd.pilots.get("churn-prediction")
        assert isinstance(one, Pilot)
        assert one == platform.portfolio.get("churn-prediction")  # the library's view
        assert pd.version().version
        assert pd.audit.verify().ok
        assert pd.prioritization().pilots


def test_errors_come_back_typed(app: Any, platform: Any, admin: Any) -> None:
    with _client(app, platform, admin) as pd:
        with pytest.raises(NotFound):
            pd.pilots.get("no-such-pilot")
        with pytest.raises(ValidationFailed) as bad:
            pd.tokens.create("x", "superuser")
        assert bad.value.errors and bad.value.errors[0].field == "role"
    with _client(app, platform, admin, Role.VIEWER) as viewer, pytest.raises(Forbidden):
        viewer.tokens.create("x", "viewer")
    with Client(http=TestClient(app), token="pd_wrong") as nobody, \
            pytest.raises(Unauthenticated):
        nobody.pilots.list()


def test_over_a_real_socket(platform: Any, admin: Any, demo_pilots: Path) -> None:
    from tests.integration.conftest import start_api

    platform.portfolio.import_path(demo_pilots, admin)
    token = platform.access.create("sdk", "viewer", [], admin).token
    server, base = start_api(platform)
    try:
        with Client(base, token=token) as pd:
            names = [p.name for p in pd.pilots.list(limit=500).items]
            assert "churn-prediction" in names
            assert pd.health().status == "ok"
    finally:
        server.should_exit = True
