"""The request guard on a real server: body limits before any work, errors that
keep the connection, capped error lists."""

from __future__ import annotations

import select
import socket
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pilotdeck.api.app import create_app
from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.gateway.app import create_gateway
from pilotdeck.http import public
from pilotdeck.platform import Platform
from tests.integration.conftest import _start, stop

LIMIT = 64 * 1024
MiB = 1024 * 1024


@pytest.fixture
def small_limits(tmp_path: Path) -> Iterator[Platform]:
    platform = Platform(Settings(home=tmp_path / "home", api_max_body_bytes=LIMIT,
                                 max_body_bytes=2 * LIMIT, alert_interval_s=0))
    yield platform
    platform.close()


def _headers(base: str, path: str, extra: str) -> tuple[socket.socket, bytes]:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"{extra}\r\n").encode()
    return sock, head


def _answer(sock: socket.socket) -> bytes:
    """Read until the head and a Content-Length body are in."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _send_chunked_until_answered(sock: socket.socket, total: int) -> bytes:
    """Stream ``total`` bytes in 64 KiB chunks, stopping as soon as an answer comes."""
    block = b"x" * 65536
    frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    sent = 0
    while sent < total:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(frame)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(block)
    return _answer(sock)


def test_a_huge_body_without_a_token_is_refused_early_and_never_held(
        small_limits: Platform) -> None:
    server, base = _start(create_app(small_limits))
    try:
        # Declared: refused before a byte of the body is sent.
        sock, head = _headers(base, "/v1/assessments", f"Content-Length: {100 * 1024 * MiB}\r\n")
        start = time.perf_counter()
        sock.sendall(head)
        answer = _answer(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"application/problem+json" in answer and b"over the limit" in answer
        assert time.perf_counter() - start < 5

        # Chunked: counted as it streams, refused once past the limit.
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            sock, head = _headers(base, "/v1/assessments", "Transfer-Encoding: chunked\r\n")
            start = time.perf_counter()
            sock.sendall(head)
            answer = _send_chunked_until_answered(sock, 64 * MiB)
            sock.close()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert time.perf_counter() - start < 10
        assert peak < 8 * MiB, f"the server held {peak / MiB:.1f} MiB of a 64 MiB body"
    finally:
        stop(server)


def test_every_route_of_both_apps_has_the_limit(small_limits: Platform) -> None:
    api = TestClient(create_app(small_limits))
    gateway = TestClient(create_gateway(small_limits))
    for client, path, limit in ((api, "/v1/pilots/import", LIMIT), (api, "/healthz", LIMIT),
                                (api, "/no/such/route", LIMIT),
                                (gateway, "/v1/pilots/x/predict", 2 * LIMIT),
                                (gateway, "/v1/feedback", 2 * LIMIT)):
        r = client.post(path, content=b"[" + b"0," * limit + b"0]")
        assert r.status_code == 413, (path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
    # Within the gateway's (larger) limit, the body reaches the route: 401, no token.
    assert gateway.post("/v1/feedback", content=b"{}" + b" " * LIMIT).status_code == 401


def test_an_unhandled_error_is_a_500_problem_on_a_connection_that_stays_open(
        small_limits: Platform) -> None:
    app: FastAPI = create_app(small_limits)

    @app.get("/boom", include_in_schema=False)
    def boom(_: None = public()) -> None:
        raise RuntimeError("a bug")

    server, base = _start(app)
    try:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"GET /boom HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            first = _answer(sock)
            assert first.startswith(b"HTTP/1.1 500"), first[:200]
            assert b"application/problem+json" in first and b"a bug" not in first
            sock.sendall(f"GET /v1/version HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            second = _answer(sock)  # same socket: the server kept it open
            assert second.startswith(b"HTTP/1.1 200"), second[:200]
    finally:
        stop(server)


def test_validation_errors_are_capped_with_a_count(small_limits: Platform) -> None:
    api = TestClient(create_app(small_limits))
    token = small_limits.access.create("u", "admin", [], local_admin("t")).token
    body = {"answers": {f"q{i}": "not a bool" for i in range(500)}}
    r = api.post("/v1/assessments", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422
    problem = r.json()
    assert len(problem["errors"]) == 20 and problem["moreErrors"] == 480
    assert len(r.content) < 5000
