"""`remotecare center ...`: set up, serve and administer a center."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from remotecare.center.bootstrap import bootstrap
from remotecare.center.config import CenterSettings
from remotecare.center.proxy import nginx_config
from remotecare.center.setup import ca_fingerprint_of, initialize_center
from remotecare.center.workers import check_workers, supervise, worker_command_line
from remotecare.errors import RemoteCareError

__all__ = ["center"]

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
    help="Processes sharing the ports (SO_REUSEPORT); more than 1 needs PostgreSQL.",
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
    with contextlib.suppress(KeyboardInterrupt):
        _run(center_.serve_forever())


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
