"""The dashboard's session: a sealed cookie, a per-session CSRF token, and the
dependencies that make every page and form obey the API's permissions.

Signing in exchanges an API token for a session cookie. The cookie is the token
and an expiry sealed with AES-256-GCM under a key derived from the platform's
secret key (``keys/`` in the data directory): the browser cannot read it
(``HttpOnly``), other sites never send it (``SameSite=Strict``), and nobody
without the server's key can open or forge it. Each request opens it and
authenticates the token exactly as the API does, so a revoked token ends every
session at once and the signed-in person has exactly their token's permissions.

Every POST carries a CSRF token bound to the session (an HMAC of the cookie's
random nonce): a form another site makes the browser submit lacks it and is
refused with 403. The sign-in form, before there is a session, uses a
double-submitted random cookie instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Forbidden, PilotdeckError
from pilotdeck.http import PERMISSION_ATTR

COOKIE = "pilotdeck_session"
SIGNIN_COOKIE = "pilotdeck_signin"
PATH = "/ui"
LIFETIME_S = 8 * 3600
MAX_FORM_FIELDS = 50


class SignInNeeded(Exception):
    """No valid session: pages redirect to the sign-in form, other requests get 401."""


@dataclass(frozen=True)
class Session:
    token: str
    expires: int
    nonce: bytes
    csrf: str


@dataclass(frozen=True)
class Signed:
    """The signed-in person on a page."""

    who: Principal
    csrf: str


@dataclass(frozen=True)
class Action:
    """A checked form submission: who sent it and its fields."""

    who: Principal
    form: dict[str, str]
    csrf: str


def _keys(request: Request) -> tuple[bytes, bytes]:
    cached = getattr(request.app.state, "ui_keys", None)
    if cached is None:
        secret = request.app.state.platform.request_id_key()
        cached = (hmac.new(secret, b"pilotdeck ui session v1", hashlib.sha256).digest(),
                  hmac.new(secret, b"pilotdeck ui csrf v1", hashlib.sha256).digest())
        request.app.state.ui_keys = cached
    return cached  # type: ignore[no-any-return]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _csrf(request: Request, nonce: bytes) -> str:
    return _b64(hmac.new(_keys(request)[1], nonce, hashlib.sha256).digest())


def seal(request: Request, token: str, now: float | None = None) -> tuple[str, str]:
    """The cookie value for ``token`` and the session's CSRF token."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    expires = int(now if now is not None else time.time()) + LIFETIME_S
    nonce = os.urandom(12)
    body = AESGCM(_keys(request)[0]).encrypt(nonce, struct.pack(">Q", expires) +
                                             token.encode(), COOKIE.encode())
    return _b64(nonce + body), _csrf(request, nonce)


def open_session(request: Request) -> Session:
    """The session the request's cookie holds, or :class:`SignInNeeded`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 4096:
        raise SignInNeeded()
    try:
        data = _unb64(raw)
        nonce, sealed = data[:12], data[12:]
        plain = AESGCM(_keys(request)[0]).decrypt(nonce, sealed, COOKIE.encode())
    except (ValueError, InvalidTag):
        raise SignInNeeded() from None
    expires = struct.unpack(">Q", plain[:8])[0]
    if expires <= time.time():
        raise SignInNeeded()
    return Session(token=plain[8:].decode(errors="replace"), expires=expires, nonce=nonce,
                   csrf=_csrf(request, nonce))


def authenticate(request: Request, token: str) -> Principal:
    """The token's principal, the API's way (``Unauthenticated`` if revoked)."""
    who: Principal = request.app.state.authenticate(token)
    return who


def set_session(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(COOKIE, cookie, max_age=LIFETIME_S, path=PATH, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    response.delete_cookie(SIGNIN_COOKIE, path=PATH)


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


def signin_nonce(request: Request) -> str:
    """The sign-in form's CSRF value (kept from the cookie, else new)."""
    value = request.cookies.get(SIGNIN_COOKIE) or ""
    if not (20 <= len(value) <= 64):
        value = _b64(os.urandom(24))
    return value


def set_signin_nonce(request: Request, response: Response, value: str) -> None:
    """Double-submit it: the form carries the value, this short-lived cookie too."""
    response.set_cookie(SIGNIN_COOKIE, value, max_age=900, path=PATH, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the only kind the forms send)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if kind != "application/x-www-form-urlencoded":
        if not body:
            return {}
        raise Forbidden("the dashboard accepts only its own forms")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise Forbidden("the dashboard accepts only its own forms") from None
    return dict(pairs)


def _check(who: Principal, permission: Permission, request: Request) -> None:
    if not who.can(permission):
        raise Forbidden(f"role {who.role.value} lacks permission {permission.value}")
    pilot = request.path_params.get("pilot")
    if pilot is not None and not who.can(permission, pilot):
        raise Forbidden(f"{who.user} may not use {permission.value} on this pilot")


def signed_in(request: Request) -> tuple[Principal, str]:
    session = open_session(request)
    try:
        who = authenticate(request, session.token)
    except PilotdeckError:
        raise SignInNeeded() from None
    if not who.can(Permission.PILOTS_READ):
        raise SignInNeeded()
    return who, session.csrf


def page(permission: Permission) -> Any:
    """Dependency of a page: the signed-in person, who must hold ``permission``."""

    def dependency(request: Request) -> Signed:
        who, csrf = signed_in(request)
        _check(who, permission, request)
        return Signed(who, csrf)

    setattr(dependency, PERMISSION_ATTR, permission)
    return Depends(dependency)


def action(permission: Permission) -> Any:
    """Dependency of a form's POST: a session, the session's CSRF token, ``permission``."""

    async def dependency(request: Request) -> Action:
        form = await read_form(request)
        session = open_session(request)
        sent = form.pop("csrf", "")
        if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise Forbidden("missing or wrong CSRF token: reload the page and try again")
        try:
            who = await run_in_threadpool(authenticate, request, session.token)
        except PilotdeckError:
            raise SignInNeeded() from None
        _check(who, permission, request)
        return Action(who, form, session.csrf)

    setattr(dependency, PERMISSION_ATTR, permission)
    return Depends(dependency)


def safe_next(target: str | None, default: str = "/ui/portfolio") -> str:
    """Only a path inside the dashboard (no open redirect)."""
    if not target or not target.startswith("/ui/") or target.startswith("/ui//") \
            or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target

