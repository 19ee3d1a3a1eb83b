"""The dashboard's forms (POST): sign in and out, decide approvals, start and pause
rollouts. Each checks the session's CSRF token and the permission the matching
API route needs, then calls the same service with the signed-in principal; a
refusal from the service is shown as a page with the service's own words."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from pilotdeck.api.deps import get_platform, public
from pilotdeck.api.params import PilotPath, positive_path
from pilotdeck.api.ui.session import (
    SIGNIN_COOKIE,
    Action,
    Signed,
    action,
    authenticate,
    clear_session,
    read_form,
    safe_next,
    seal,
    set_session,
    set_signin_nonce,
    signin_nonce,
)
from pilotdeck.api.ui.templating import render
from pilotdeck.auth.roles import Permission
from pilotdeck.domain.errors import FieldError, Forbidden, PilotdeckError, ValidationFailed
from pilotdeck.platform import Platform

router = APIRouter(prefix="/ui", include_in_schema=False)
MAX_TEXT = 2000


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, _: None = public()) -> Response:
    form = await read_form(request)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not hmac.compare_digest(form.get("csrf", "").encode(),
                                               expected.encode()):
        raise Forbidden("missing or wrong CSRF token: reload the sign-in page and try again")
    token = form.get("token", "").strip()
    target = safe_next(form.get("next"))
    error = None
    if not token or len(token) > 200:
        error = "Enter an API token."
    else:
        try:
            who = await run_in_threadpool(authenticate, request, token)
            if not who.can(Permission.PILOTS_READ):
                error = (f"A {who.role.value} token cannot use the dashboard: sign in with a "
                         "person's token.")
        except PilotdeckError:
            error = "That token is not valid or has been revoked."
    if error is not None:
        nonce = signin_nonce(request)
        response: Response = render("sign_in.html", status=401, title="Sign in",
                                    next=target, csrf=nonce, error=error)
        set_signin_nonce(request, response, nonce)
        return response
    cookie, _csrf = seal(request, token)
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, cookie)
    return response


@router.post("/sign-out")
def sign_out(request: Request, act: Action = action(Permission.PUBLIC)) -> Response:
    response = RedirectResponse("/ui/sign-in?done=signed-out", status_code=303)
    clear_session(request, response)
    return response


def _text(form: dict[str, str], name: str, *, required: bool = False) -> str:
    value = form.get(name, "").strip()
    if required and not value:
        raise ValidationFailed("invalid form", [FieldError(name, "must not be empty")])
    if len(value) > MAX_TEXT or "\x00" in value:
        raise ValidationFailed("invalid form", [FieldError(
            name, f"at most {MAX_TEXT} characters, no NUL")])
    return value


def _int(form: dict[str, str], name: str, lo: int = 1, hi: int = 2**31) -> int:
    raw = form.get(name, "").strip()
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise ValidationFailed("invalid form", [FieldError(
            name, f"a whole number from {lo} to {hi}")])
    return int(raw)


def _do(act: Action, back: str, done: str, call: Callable[[], Any]) -> Response:
    """Run the service call; on success go back to the page (303), else say why."""
    try:
        call()
    except PilotdeckError as exc:
        return render("error.html", status=exc.status, signed=Signed(act.who, act.csrf),
                      title=exc.title, heading=f"Not done: {exc.title.lower()}",
                      message=str(exc), back=back)
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}done={done}", status_code=303)


@router.post("/approvals/{approval_id}/decide")
def decide(approval_id: Annotated[int, positive_path("Approval request id")],
           act: Action = action(Permission.APPROVALS_DECIDE),
           platform: Platform = Depends(get_platform)) -> Response:
    back = safe_next(act.form.get("next"), "/ui/governance")
    decision = act.form.get("decision", "")
    if decision not in ("approve", "reject"):
        return _do(act, back, "", lambda: _refuse("decision", "approve or reject"))
    conditions = _text(act.form, "conditions") if decision == "approve" else ""

    def call() -> Any:
        reason = _text(act.form, "reason", required=True)
        return platform.approvals.decide(approval_id, cast(Literal["approve", "reject"], decision),
                                         act.who, reason, conditions)

    return _do(act, back, "approved" if decision == "approve" else "rejected", call)


def _refuse(field: str, problem: str) -> None:
    raise ValidationFailed("invalid form", [FieldError(field, problem)])


@router.post("/pilots/{pilot}/rollout/start")
def start_rollout(pilot: PilotPath, act: Action = action(Permission.DEPLOYMENTS_WRITE),
                  platform: Platform = Depends(get_platform)) -> Response:
    from pilotdeck.domain.rollout import Plan

    def call() -> Any:
        challenger = _int(act.form, "challenger")
        mode = act.form.get("mode", "auto")
        return platform.rollouts.start(pilot, challenger, act.who, Plan.parse({}), mode)

    return _do(act, f"/ui/pilots/{pilot}", "started", call)


@router.post("/pilots/{pilot}/rollout/pause")
def pause_rollout(pilot: PilotPath, act: Action = action(Permission.DEPLOYMENTS_WRITE),
                  platform: Platform = Depends(get_platform)) -> Response:
    def call() -> Any:
        return platform.rollouts.pause(pilot, act.who, _text(act.form, "reason"))

    return _do(act, f"/ui/pilots/{pilot}", "paused", call)


@router.post("/pilots/{pilot}/rollout/resume")
def resume_rollout(pilot: PilotPath, act: Action = action(Permission.DEPLOYMENTS_WRITE),
                   platform: Platform = Depends(get_platform)) -> Response:
    return _do(act, f"/ui/pilots/{pilot}", "resumed",
               lambda: platform.rollouts.resume(pilot, act.who))
