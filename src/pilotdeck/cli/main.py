"""Entry point: ``pilotdeck``. Errors become one line on stderr and an exit code
(1 failure, 2 usage; :mod:`pilotdeck.cli.errors`)."""

from __future__ import annotations

import os
import sys

import typer

from pilotdeck._version import __version__
from pilotdeck.cli import (
    approvals,
    assess,
    audit,
    batch,
    data,
    errors,
    explain,
    features,
    lineage,
    models,
    monitor,
    monitor_alerts,
    monitor_log,
    monitor_report,
    pilots,
    playbook,
    programme,
    readiness,
    risk,
    rollout,
    sla,
    teams,
    tokens,
    training,
)
from pilotdeck.cli.context import (
    LazyPlatform,
    click_exceptions,
    console,
    err_console,
    me,
    platform,
)
from pilotdeck.cli.prioritize import prioritize
from pilotdeck.cli.prioritize import render as render_prioritization
from pilotdeck.cli.runbook import runbook
from pilotdeck.domain.errors import PilotdeckError

app = typer.Typer(
    name="pilotdeck",
    help="Take AI pilots to governed production: inventory, maturity, prioritisation, "
         "serving, datasets, monitoring, risk, approvals, explanations, audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(ctx: typer.Context,
          _version: bool = typer.Option(False, "--version", is_eager=True,
                                        callback=_print_version,
                                        help="Print the version and exit.")) -> None:
    """Carry one lazily built Platform for the command in ``ctx.obj``."""
    holder = LazyPlatform()
    ctx.obj = holder
    ctx.call_on_close(holder.close)


app.add_typer(pilots.app, name="pilots")
app.add_typer(assess.app, name="assess")
app.add_typer(audit.app, name="audit")
app.add_typer(tokens.app, name="tokens")
app.add_typer(models.app, name="models")
app.add_typer(batch.app, name="batch")
app.add_typer(data.app, name="data")
app.add_typer(risk.app, name="risk")
app.add_typer(approvals.app, name="approvals")
app.add_typer(explain.app, name="explain")
app.add_typer(lineage.app, name="lineage")
app.add_typer(features.app, name="features")
app.add_typer(rollout.app, name="rollout")
app.add_typer(sla.app, name="sla")
# monitor_alerts, monitor_log and monitor_report add their commands to monitor.app.
assert monitor_alerts.app is monitor_report.app is monitor_log.app is monitor.app
app.add_typer(monitor.app, name="monitor")
app.command("prioritize")(prioritize)
app.add_typer(readiness.app, name="readiness")
app.add_typer(training.app, name="training")
app.add_typer(teams.app, name="teams")
app.add_typer(playbook.app, name="playbook")
app.command("runbook")(runbook)
app.add_typer(programme.app, name="programme")


def _print_admin_token() -> None:
    """On first start, write the new admin token to an owner-only file and say where.

    Servers' stdout ends up in service logs, which many people can read: the
    token itself is printed only to a terminal (a person, not a log)."""
    p = platform()
    issued = p.access.ensure_admin(me())
    if issued is not None:
        path = p.save_admin_token(issued.token)
        console.print(f"admin token written to {path} (owner-only; read it with "
                      f"`cat {path}`)", markup=False, highlight=False)
        if sys.stdout.isatty():
            console.print("[bold]admin token[/bold] (store it now):")
            console.print(issued.token, markup=False, highlight=False)
    else:
        console.print("an admin token already exists; create another with "
                      "`pilotdeck tokens create --user NAME --role admin`")


def _check_port(host: str, port: int) -> None:
    """Fail with one line, before any banner, when the address is taken."""
    import socket

    from pilotdeck.domain.errors import Conflict

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise Conflict(f"cannot listen on {host}:{port}: {exc.strerror or exc}; stop the "
                           "process using it or choose another with --port") from None


def _serve(host: str, port: int) -> None:
    _check_port(host, port)
    import uvicorn

    from pilotdeck.api.app import create_app

    base = f"http://{host}:{port}"
    console.print(f"Dashboard: {base}/ui  (sign in with an API token: the admin token "
                  f"above, or one from `pilotdeck tokens create --user NAME --role viewer`)",
                  markup=False, highlight=False)
    console.print(f"API:       {base}/v1  (docs {base}/docs, OpenAPI {base}/openapi.json)")
    console.print(f"Charts:    {base}/v1/prioritization/chart, {base}/v1/assessments/chart")
    console.print("Press Ctrl+C to stop.")
    uvicorn.run(create_app(platform()), host=host, port=port, log_level="warning")


HOST = typer.Option(None, "--host", help="Interface to bind (default: the setting).")
PORT = typer.Option(None, "--port", help="Port to listen on (default: the setting).")


@app.command("api")
def api(host: str | None = HOST, port: int | None = PORT) -> None:
    """Run the control-plane API (REST, docs, charts); default port 8000."""
    s = platform().settings
    h, p = host or s.api_host, port or s.api_port
    _check_port(h, p)
    _print_admin_token()
    _serve(h, p)


@app.command("gateway")
def gateway(host: str | None = HOST, port: int | None = PORT,
            workers: int = typer.Option(1, min=1, max=64, help=(
                "Gateway processes sharing the port (each loads every model; "
                "use a redis:// cache so they share it)."))) -> None:
    """Run the inference gateway (predictions, feedback; a separate process from the
    API); default port 8100."""
    # Models run single-threaded in their own threads; OpenMP's default
    # spin-waiting then doubles a small model's latency (benchmarks/serving).
    # Must be set before scikit-learn loads libgomp; a user's value wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    s = platform().settings
    h, p = host or s.gateway_host, port or s.gateway_port
    _check_port(h, p)
    if workers == 1:  # (each worker of several imports its own)
        from pilotdeck.platform.warm import warm_model_libraries

        warm_model_libraries(platform())
    import uvicorn

    from pilotdeck.gateway.app import create_gateway

    console.print(f"gateway: http://{h}:{p}/v1/pilots/PILOT/predict  metrics: "
                  f"http://{h}:{p}/metrics  docs: http://{h}:{p}/docs")
    if workers > 1:
        # Each worker builds its own gateway from the same settings (uvicorn's
        # parent holds the socket; the kernel spreads connections over them).
        uvicorn.run("pilotdeck.gateway.app:from_environment", factory=True,
                    workers=workers, host=h, port=p, log_level="warning", access_log=False)
        return
    uvicorn.run(create_gateway(platform()), host=h, port=p, log_level="warning",
                access_log=False)


def _renamed(old: str, new: str) -> None:
    err_console.print(f"warning: `pilotdeck {old}` is now `pilotdeck {new}`; the old name "
                      "will be removed in the next release", markup=False, highlight=False)


@app.command("server", hidden=True)
def server(host: str | None = HOST, port: int | None = PORT) -> None:
    """Deprecated name of ``pilotdeck api``."""
    _renamed("server", "api")
    api(host, port)


@app.command("serve", hidden=True)
def serve(host: str | None = HOST, port: int | None = PORT) -> None:
    """Deprecated name of ``pilotdeck gateway``."""
    _renamed("serve", "gateway")
    gateway(host, port)


@app.command()
def demo(serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the API after."),
         port: int | None = typer.Option(None, "--port")) -> None:
    """Load the sample portfolio, assess and prioritise it, draw charts, start the API."""
    from pilotdeck.demo import story

    p = platform()
    if serve:  # a taken port is found before the demo's work, not after it
        _check_port(p.settings.api_host, port or p.settings.api_port)
    console.print(f"pilotdeck {__version__} — data in {p.settings.home.resolve()} "
                  f"({p.store.backend})")
    out = story.run(p, me(), console, err_console)
    org = out.organisation.overall
    console.print(f"organisation maturity: level {org.level} ({org.level_name}), "
                  f"score {org.score:.2f}, gap {org.gap} to target {org.target}")
    render_prioritization(out.prioritization)
    console.print(f"\ncharts: {out.reports.resolve()}/prioritization-matrix.png, "
                  "maturity-organisation.png")
    console.print(f"audit: {out.checkpoint.size} events, signed checkpoint "
                  f"{out.checkpoint.root.hex()[:16]}…")
    _print_admin_token()
    if serve:
        _serve(p.settings.api_host, port or p.settings.api_port)
    else:
        console.print(f"dashboard: `pilotdeck api`, then open http://{p.settings.api_host}:"
                      f"{port or p.settings.api_port}/ui and sign in with an API token",
                      markup=False, highlight=False)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def run() -> None:
    """Console-script entry: every expected failure is one line on stderr and an exit
    code (see :mod:`pilotdeck.cli.errors`); never a traceback."""
    try:
        # Without standalone mode Click returns typer.Exit codes instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except PilotdeckError as exc:
        sys.exit(errors.pilotdeck_error(exc))
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(errors.FAILURE)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no tracebacks for users
        if isinstance(exc, click_exceptions()):  # Typer's copy of Click is not `click`
            sys.exit(errors.click_error(exc))
        if errors.is_database_error(exc):
            sys.exit(errors.database_error(exc))
        if os.environ.get("PILOTDECK_DEBUG"):
            raise
        sys.exit(errors.internal_error(exc))
