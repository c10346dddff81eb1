"""A throwaway nginx (Debian's nginx-light) with its own prefix, config and free ports.

Usage::

    with running_nginx(tmp_path / "nginx", server_blocks, port) as process:
        ...
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.support.ports import answers
from tests.support.processes import started

__all__ = ["NginxUnavailable", "find_nginx", "running_nginx"]

_READY_TIMEOUT_S = 15.0


class NginxUnavailable(RuntimeError):
    """nginx is not installed on this machine."""


def find_nginx() -> Path | None:
    for candidate in (os.environ.get("REMOTECARE_NGINX"), "/usr/sbin/nginx", shutil.which("nginx")):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def _main_config(root: Path, http_body: str, workers: int) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_body_buffer_size 1m;
{http_body}
}}
"""


@contextlib.contextmanager
def running_nginx(
    root: Path, http_body: str, port: int, *, workers: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """Run nginx in the foreground with ``http_body`` inside its ``http { }`` block; wait
    until ``port`` listens; stop it (SIGQUIT, then SIGKILL) on exit."""
    nginx = find_nginx()
    if nginx is None:
        raise NginxUnavailable("nginx not found (Debian package nginx-light)")
    root.mkdir(parents=True, exist_ok=True)
    config = root / "nginx.conf"
    config.write_text(_main_config(root, http_body, workers))
    test = subprocess.run(
        [str(nginx), "-t", "-q", "-p", str(root), "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    if test.returncode != 0:
        raise AssertionError(f"nginx -t failed: {test.stderr}")
    with started(
        [str(nginx), "-p", str(root), "-c", str(config), "-g", "daemon off;"],
        root / "nginx.out",
        what="nginx",
        ready=lambda: answers("127.0.0.1", port),
        first=signal.SIGQUIT,
        ready_timeout_s=_READY_TIMEOUT_S,
    ) as process:
        yield process
