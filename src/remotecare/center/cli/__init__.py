"""`remotecare center ...`: set up, serve and administer a center."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from remotecare.center.attempts.log import SqlFailureLog
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.config import CenterSettings
from remotecare.center.setup import ca_fingerprint_of, initialize_center
from remotecare.center.web.nginx import nginx_config
from remotecare.center.workers import check_workers, supervise, worker_command_line
from remotecare.errors import OperatorError, RemoteCareError
from remotecare.protocol.messages import CommandKind

__all__ = ["center"]

logger = logging.getLogger(__name__)

_HOME = click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    envvar="REMOTECARE_CENTER_HOME",
    help="The center's home directory (CA, database, settings).",
)


def _load(home: Path) -> CenterSettings:
    try:
        return CenterSettings.load(home)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def center() -> None:
    """Run the management center."""


@center.command()
@_HOME
@click.option("--hostname", required=True, help="The name agents use to reach this center.")
@click.option("--listen", "listen_host", default="0.0.0.0", show_default=True)
@click.option("--console-port", default=8443, show_default=True)
@click.option("--device-port", default=8444, show_default=True)
@click.option("--database-url", default="", help="SQLAlchemy URL; default SQLite in the home.")
@click.option("--operator", default="operator", show_default=True)
@click.option("--password", default=None, help="Operator password (default: a random one).")
def init(
    home: Path,
    hostname: str,
    listen_host: str,
    console_port: int,
    device_port: int,
    database_url: str,
    operator: str,
    password: str | None,
) -> None:
    """Create the CA, the server certificate, the database and an operator login."""
    settings = CenterSettings(
        home=home.resolve(),
        hostname=hostname,
        listen_host=listen_host,
        console_port=console_port,
        device_port=device_port,
        database_url=database_url,
    )
    try:
        done = initialize_center(settings, operator=operator, password=password)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"center initialized in {settings.home}")
    click.echo(f"CA fingerprint (SHA-256): {done.ca_fingerprint}")
    click.echo(f"console: https://{hostname}:{console_port}/  login: {done.operator}")
    if password is None:
        click.echo(f"password: {done.password}  (shown once; it is stored only as a hash)")


@center.command()
@_HOME
@click.option("--listen", "listen_host", default=None, help="Override the listen address.")
@click.option("--console-port", type=int, default=None)
@click.option("--device-port", type=int, default=None)
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="Processes sharing the ports (SO_REUSEPORT), on PostgreSQL or one SQLite file.",
)
@click.option("--worker", "as_worker", is_flag=True, hidden=True)
@click.pass_context
def serve(
    ctx: click.Context,
    home: Path,
    listen_host: str | None,
    console_port: int | None,
    device_port: int | None,
    workers: int,
    as_worker: bool,
) -> None:
    """Serve the console and the mutual-TLS device API until interrupted."""
    settings = _load(home)
    overrides = {
        k: v
        for k, v in {
            "listen_host": listen_host,
            "console_port": console_port,
            "device_port": device_port,
        }.items()
        if v is not None
    }
    if overrides:
        from dataclasses import replace

        settings = replace(settings, **overrides)  # type: ignore[arg-type]
    try:
        check_workers(settings, workers)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    if workers > 1 and not as_worker:
        root = ctx.find_root().params
        argv = ["--log-format", str(root.get("log_format", "text"))]
        argv += ["-v"] if root.get("verbose") else []
        argv += ["center", "serve", "--home", str(home)]
        for name, value in overrides.items():
            argv += [f"--{name.replace('_host', '').replace('_', '-')}", str(value)]
        ctx.exit(supervise(settings, workers, worker_command_line(argv)))
    center_ = bootstrap(settings, migrate=not as_worker, reuse_port=as_worker)
    _settle_garbage_collector()
    with contextlib.suppress(KeyboardInterrupt):
        _run(center_.serve_forever())


def _settle_garbage_collector() -> None:
    """Keep the collector off what lives as long as the process (schemas, SQL, caches).

    Without this, every full collection walks the hundreds of thousands of objects the
    center builds at start-up, and ingest loses about a third of its rate (bench/ingest.py,
    batches of 10: about 2,700 against 4,000 reports/s). A much larger first generation
    lets a request's short-lived objects die before they are scanned at all: what a young
    collection walks is mostly the requests in flight, alive and scanned for nothing (under
    load it freed no object at all). At 10,000, two workers each ran 11-14 young collections
    a second, taking 4-5 ms each (wall time, on busy cores); at 100,000, none in 18 s.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(100_000, older, oldest)


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed (faster TLS and HTTP), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


@center.command("proxy-config")
@_HOME
@click.option("--listen", default="443", show_default=True, help="nginx listen address:port.")
@click.option("--server-name", default=None, help="Default: the center's hostname.")
@click.option("--certificate", type=click.Path(path_type=Path), default=None)
@click.option("--key", type=click.Path(path_type=Path), default=None)
def proxy_config(
    home: Path, listen: str, server_name: str | None, certificate: Path | None, key: Path | None
) -> None:
    """Print an nginx server block that terminates mutual TLS for the device API."""
    settings = _load(home)
    if not settings.proxy_port:
        raise click.ClickException(
            "set proxy_port (and trusted_proxies) in center.toml first: it is where nginx sends"
        )
    click.echo(
        nginx_config(
            settings,
            listen=listen,
            server_name=server_name,
            certificate=certificate,
            key=key,
        ),
        nl=False,
    )


@center.group()
def token() -> None:
    """Enrolment tokens."""


@token.command("create")
@_HOME
@click.option("--customer", required=True, help="The customer the enrolled endpoints belong to.")
@click.option("--hours", default=24, show_default=True, help="Lifetime of the token.")
@click.option("--endpoints", "max_endpoints", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def token_create(home: Path, customer: str, hours: int, max_endpoints: int, as_json: bool) -> None:
    """Print a single-use enrolment token and the CA fingerprint to pin."""
    settings = _load(home)
    center_ = bootstrap(settings)
    try:
        issued = center_.enrollment.create_token(
            customer, ttl=timedelta(hours=hours), max_endpoints=max_endpoints
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        center_.engine.dispose()
    fp = ca_fingerprint_of(settings)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "token": issued.token,
                    "ca_fingerprint": fp,
                    "customer": customer,
                    "expires_in_hours": hours,
                    "max_endpoints": max_endpoints,
                }
            )
        )
        return
    click.echo(f"token: {issued.token}")
    click.echo(f"ca-fingerprint: {fp}")
    click.echo(
        f"customer: {customer}; valid {hours} h; for {max_endpoints} endpoint(s); single use"
    )
    click.echo(
        "enrol with: remotecare agent enroll --home DIR "
        f"--center https://{settings.hostname}:{settings.console_port} "
        f"--token {issued.token} --ca-fingerprint {fp}"
    )


@contextlib.contextmanager
def _administered(home: Path) -> Iterator[Center]:
    """The center's services for one administrative command; an OperatorError becomes a
    plain error message and exit status 1."""
    center_ = bootstrap(_load(home))
    try:
        yield center_
    except OperatorError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        center_.engine.dispose()


@center.command()
@_HOME
@click.argument("endpoint")
@click.option("--reason", default=None, help="Why (kept with the endpoint, shown in the console).")
def revoke(home: Path, endpoint: str, reason: str | None) -> None:
    """Revoke ENDPOINT's certificate: every running center refuses it within a second."""
    with _administered(home) as center_:
        done = center_.certificates.revoke(endpoint, reason)
    if done.already_revoked:
        click.echo(f"endpoint {endpoint} was already revoked")
        return
    click.echo(
        f"endpoint {endpoint} revoked: refused by every center process within 1 s; "
        f"{done.cancelled_commands} pending command(s) cancelled"
    )


@center.command("unlock-login")
@_HOME
@click.argument("username")
@click.option(
    "--address",
    default=None,
    help="Also clear the failed logins from this client address (as the center logs it).",
)
def unlock_login(home: Path, username: str, address: str | None) -> None:
    """Clear the failed logins counted against USERNAME, so that it can log in again at once.

    Works while the center runs: every process reads the failures from the database before
    each login. USERNAME need not be an operator (failures count against any name typed).
    """
    with _administered(home) as center_:
        engine = center_.engine
        cleared = [(f"against {username!r}", SqlFailureLog(engine, "login-name").clear(username))]
        if address is not None:
            by_address = SqlFailureLog(engine, "login-address").clear(address)
            cleared.append((f"from {address}", by_address))
    for subject, count in cleared:
        logger.info("failed logins %s cleared by an administrator: %d", subject, count)
        if count == 0:
            click.echo(f"no failed logins {subject}: nothing to clear")
        else:
            click.echo(f"cleared {count} failed login{'' if count == 1 else 's'} {subject}")


def _arguments(pairs: tuple[str, ...]) -> dict[str, str | int]:
    arguments: dict[str, str | int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--arg")
        arguments[name.strip()] = value.strip()
    return arguments


@center.command()
@_HOME
@click.argument("endpoint")
@click.argument("kind", type=click.Choice([k.value for k in CommandKind]))
@click.option("--arg", "pairs", multiple=True, metavar="NAME=VALUE", help="A command argument.")
def command(home: Path, endpoint: str, kind: str, pairs: tuple[str, ...]) -> None:
    """Queue a command for ENDPOINT; its agent picks it up at its next check-in.

    \b
    set_poll_interval    --arg seconds=600     (60 to 86400)
    collect_diagnostics  --arg printer=SERIAL  (a printer the endpoint reports for)
    renew_certificate
    rediscover
    """
    with _administered(home) as center_:
        queued = center_.commands.queue(endpoint, CommandKind(kind), _arguments(pairs))
    click.echo(f"queued {queued.kind.value} {queued.command_id} for endpoint {endpoint}")


@center.command("endpoints")
@_HOME
def list_endpoints(home: Path) -> None:
    """List enrolled endpoints: state, certificate expiry, revocation."""
    with _administered(home) as center_:
        rows = center_.console.endpoints()
    for row in rows:
        state = "revoked" if row.revoked else row.presence.state.value
        click.echo(
            f"{row.endpoint_id}  {state:<7}  expires {row.certificate_not_after:%Y-%m-%d}  "
            f"{row.printers} printer(s)  {row.customer}"
        )


@center.group("printers")
def printers_group() -> None:
    """Printers waiting for confirmation (printer_binding = "confirm")."""


@printers_group.command("pending")
@_HOME
def printers_pending(home: Path) -> None:
    """List printers waiting for an operator to confirm them."""
    with _administered(home) as center_:
        rows = center_.printers.pending()
    now = datetime.now(UTC)
    for row in rows:
        waiting = int((now - row.first_seen_at).total_seconds() // 60)
        click.echo(
            f"{row.serial}  {row.model}  {row.customer}  endpoint {row.endpoint_id}  "
            f"{row.held_reports} held report(s), waiting {waiting} min"
        )


@printers_group.command("confirm")
@_HOME
@click.argument("serial")
@click.option("--customer", default=None, help="Needed only if several customers have SERIAL.")
def printers_confirm(home: Path, serial: str, customer: str | None) -> None:
    """Confirm the pending printer SERIAL: it becomes a device and its held reports attach."""
    with _administered(home) as center_:
        done = center_.printers.confirm(serial, customer)
    click.echo(
        f"printer {done.serial} of {done.customer} confirmed for endpoint {done.endpoint_id}; "
        f"{done.attached_reports} held report(s) attached"
    )
