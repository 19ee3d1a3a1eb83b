"""Alert bookkeeping a user relies on: a failed webhook says why, and an alert
whose rule was removed from the rules file is resolved, not left open forever."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.adapters.store.db import Database
from pilotdeck.domain.alerts import AlertRule, parse_rules
from pilotdeck.services.alerts import AlertService
from tests.integration.conftest import free_port


def rule(name: str, url: str) -> AlertRule:
    return parse_rules({"rules": [{"name": name, "pilot": "p", "metric": "quality.accuracy",
                                   "threshold": 0.9, "comparison": "<",
                                   "actions": [{"type": "webhook", "url": url}]}]})[0]


@pytest.fixture
def failing_hook() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AlertService]:
    store = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    svc = AlertService(store, None, None, webhook_timeout_s=2)  # type: ignore[arg-type]
    svc.measure = lambda rule, now: (0.5, 100)  # type: ignore[method-assign]  # it fires
    yield svc
    store.dispose()


def test_a_failed_webhook_says_why(service: AlertService, failing_hook: str) -> None:
    refused = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    out = service.evaluate([rule("answers-503", failing_hook), rule("refused", refused)])
    errors = {o.rule: o.actions[0].error for o in out}
    assert errors["answers-503"] == "the webhook answered HTTP 503 Service Unavailable"
    assert errors["refused"] is not None
    assert errors["refused"].startswith("cannot reach the webhook: ")
    assert "Error" not in errors["refused"]  # words, not an exception's class name
    stored = {a.rule: a.actions[0] for a in service.list()}
    assert stored["answers-503"].error == errors["answers-503"] and not stored["refused"].ok


def test_an_alert_whose_rule_was_removed_is_resolved(service: AlertService,
                                                     failing_hook: str) -> None:
    kept, removed = rule("kept", failing_hook), rule("removed", failing_hook)
    service.evaluate([kept, removed], datetime(2026, 11, 25, tzinfo=UTC))
    assert {a.rule: a.status for a in service.list()} == {"kept": "open", "removed": "open"}
    out = service.evaluate([kept], datetime(2026, 11, 25, 1, tzinfo=UTC))
    assert [(o.rule, o.state) for o in out] == [("kept", "open"), ("removed", "resolved")]
    assert {a.rule: a.status for a in service.list()} == {"kept": "open", "removed": "resolved"}
