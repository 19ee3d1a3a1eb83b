"""Entry point: ``pilotdeck``. Errors become one line on stderr and exit code 1."""

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
    models,
    monitor,
    monitor_alerts,
    monitor_report,
    pilots,
    risk,
    tokens,
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
from pilotdeck.domain.errors import PilotdeckError

app = typer.Typer(
    name="pilotdeck",
    help="Take AI pilots to governed production: inventory, maturity, prioritisation, audit.",
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
app.add_typer(risk.app, name="risk")
app.add_typer(approvals.app, name="approvals")
# monitor_alerts and monitor_report add their commands to monitor.app.
assert monitor_alerts.app is monitor_report.app is monitor.app
app.add_typer(monitor.app, name="monitor")
app.command("prioritize")(prioritize)


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


def _serve(host: str, port: int) -> None:
    import uvicorn

    from pilotdeck.api.app import create_app

    base = f"http://{host}:{port}"
    console.print(f"API:      {base}/v1  (docs {base}/docs, OpenAPI {base}/openapi.json)")
    console.print(f"Charts:   {base}/v1/prioritization/chart, {base}/v1/assessments/chart")
    console.print("Press Ctrl+C to stop.")
    uvicorn.run(create_app(platform()), host=host, port=port, log_level="warning")


@app.command()
def server(host: str | None = typer.Option(None, "--host"),
           port: int | None = typer.Option(None, "--port")) -> None:
    """Run the control-plane API."""
    s = platform().settings
    _print_admin_token()
    _serve(host or s.api_host, port or s.api_port)


@app.command()
def serve(host: str | None = typer.Option(None, "--host"),
          port: int | None = typer.Option(None, "--port")) -> None:
    """Run the inference gateway (a separate process from the API)."""
    # Models run single-threaded in their own threads; OpenMP's default
    # spin-waiting then doubles a small model's latency (benchmarks/serving).
    # Must be set before scikit-learn loads libgomp; a user's value wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import uvicorn

    from pilotdeck.gateway.app import create_gateway

    s = platform().settings
    h, p = host or s.gateway_host, port or s.gateway_port
    console.print(f"gateway: http://{h}:{p}/v1/pilots/PILOT/predict  metrics: "
                  f"http://{h}:{p}/metrics  docs: http://{h}:{p}/docs")
    uvicorn.run(create_gateway(platform()), host=h, port=p, log_level="warning",
                access_log=False)


@app.command()
def demo(serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the API after."),
         port: int | None = typer.Option(None, "--port")) -> None:
    """Load the sample portfolio, assess and prioritise it, draw charts, start the API."""
    from pilotdeck.demo import story

    p = platform()
    console.print(f"pilotdeck {__version__} — data in {p.settings.home.resolve()} "
                  f"({p.store.backend})")
    out = story.run(p, me(), console)
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


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _is_database_error(exc: Exception) -> bool:
    # SQLAlchemy is imported only by commands that open the store; if it was
    # never imported, this cannot be one of its errors (and start-up stays fast).
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)


def run() -> None:
    """Console-script entry: map every expected failure to a one-line message."""
    try:
        # Without standalone mode Click returns typer.Exit codes instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except PilotdeckError as exc:
        if exc.errors:
            for e in exc.errors[:50]:
                err_console.print(f"error: {exc.message}: {e}", markup=False, highlight=False)
            if len(exc.errors) > 50:
                err_console.print(f"error: … and {len(exc.errors) - 50} more")
        else:
            err_console.print(f"error: {exc.message}", markup=False, highlight=False)
        sys.exit(1)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no tracebacks for users
        if isinstance(exc, click_exceptions()):  # a bad option or argument: Click's message
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if _is_database_error(exc):
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            err_console.print(f"error: database problem: {reason} (check PILOTDECK_DB_URL)",
                              markup=False, highlight=False)
            sys.exit(1)
        if os.environ.get("PILOTDECK_DEBUG"):
            raise
        err_console.print(f"error: internal error ({exc.__class__.__name__}: {exc}); "
                          "rerun with PILOTDECK_DEBUG=1 for details and please report it",
                          markup=False, highlight=False)
        sys.exit(2)
