"""`remotecare center init | migrate | serve | proxy-config`: set up, upgrade and serve."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click

from remotecare.center.bootstrap import bootstrap
from remotecare.center.cli.common import HOME, load_settings
from remotecare.center.config import CenterSettings
from remotecare.center.kernel.schema import current_revision, head_revision, upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from remotecare.center.nginx import nginx_config
from remotecare.center.server import CenterServer
from remotecare.center.setup import ca_fingerprint_of, initialize_center, join_center
from remotecare.center.workers import check_workers, supervise, worker_command_line
from remotecare.errors import RemoteCareError

__all__ = ["init", "migrate", "proxy_config", "serve"]


@click.command()
@HOME
@click.option("--hostname", default=None, help="The name agents use to reach this center.")
@click.option("--listen", "listen_host", default="0.0.0.0", show_default=True)
@click.option("--console-port", default=8443, show_default=True)
@click.option("--device-port", default=8444, show_default=True)
@click.option("--database-url", default="", help="SQLAlchemy URL; default SQLite in the home.")
@click.option("--operator", default="operator", show_default=True)
@click.option("--password", default=None, help="Operator password (default: a random one).")
@click.option(
    "--join",
    "first_home",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Another instance of the center in FIRST_HOME (same CA, certificate, database).",
)
@click.option("--proxy-port", default=0, help="With --join: this instance's proxy port.")
@click.option("--metrics-port", default=0, help="With --join: this instance's metrics port.")
def init(
    home: Path,
    hostname: str,
    listen_host: str,
    console_port: int,
    device_port: int,
    database_url: str,
    operator: str,
    password: str | None,
    first_home: Path | None,
    proxy_port: int,
    metrics_port: int,
) -> None:
    """Create the CA, the server certificate, the database and an operator login; or,
    with --join, a second home for another instance of an existing center (on a shared
    database): its CA and settings copied, its own ports."""
    if first_home is not None:
        _join(first_home, home, console_port, device_port, proxy_port, metrics_port)
        return
    if hostname is None:
        raise click.ClickException("give --hostname (or --join an existing center)")
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


def _join(
    first_home: Path,
    home: Path,
    console_port: int,
    device_port: int,
    proxy_port: int,
    metrics_port: int,
) -> None:
    first = load_settings(first_home.resolve())
    try:
        joined = join_center(
            first,
            home.resolve(),
            console_port=console_port,
            device_port=device_port,
            proxy_port=proxy_port,
            metrics_port=metrics_port,
        )
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"center instance initialized in {joined.home}, joining {first.home}")
    click.echo(f"CA fingerprint (SHA-256): {ca_fingerprint_of(joined)}")


@click.command()
@HOME
def migrate(home: Path) -> None:
    """Upgrade the database's schema to this program's (``serve`` does it too)."""
    settings = load_settings(home)
    engine = make_engine(settings.effective_database_url)
    try:
        before = current_revision(engine)
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if before == head:
        click.echo(f"schema already at revision {head}")
    else:
        click.echo(f"schema upgraded from revision {before or 'none'} to {head}")


@click.command()
@HOME
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
    settings = load_settings(home)
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
    if not as_worker:  # a supervisor upgraded the schema before starting its workers
        engine = make_engine(settings.effective_database_url)
        try:
            upgrade_to_head(engine)
        finally:
            engine.dispose()
    try:
        server = CenterServer(bootstrap(settings), reuse_port=as_worker)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    _settle_garbage_collector()
    with contextlib.suppress(KeyboardInterrupt):
        _run(server.serve_forever())


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


@click.command("proxy-config")
@HOME
@click.option("--listen", default="443", show_default=True, help="nginx listen address:port.")
@click.option("--server-name", default=None, help="Default: the center's hostname.")
@click.option("--certificate", type=click.Path(path_type=Path), default=None)
@click.option("--key", type=click.Path(path_type=Path), default=None)
@click.option(
    "--also",
    "other_homes",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The home of another instance (init --join): nginx balances over all of them.",
)
def proxy_config(
    home: Path,
    listen: str,
    server_name: str | None,
    certificate: Path | None,
    key: Path | None,
    other_homes: tuple[Path, ...],
) -> None:
    """Print an nginx server block that terminates mutual TLS for the device API."""
    settings = load_settings(home)
    others = [load_settings(other) for other in other_homes]
    for instance in (settings, *others):
        if not instance.proxy_port:
            raise click.ClickException(
                f"set proxy_port (and trusted_proxies) in {instance.home}/center.toml first:"
                " it is where nginx sends"
            )
    click.echo(
        nginx_config(
            settings,
            listen=listen,
            server_name=server_name,
            certificate=certificate,
            key=key,
            others=others,
        ),
        nl=False,
    )
