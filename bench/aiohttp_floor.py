"""The framework floor for bench/ingest.py: aiohttp on uvloop with mutual TLS that reads
each report, validates it with the protocol model and answers as the center does, storing
nothing. What the center costs beyond this is our own code and the database.

Usage: aiohttp_floor.py SERVER_CERT SERVER_KEY CA_CERT PORT
"""

from __future__ import annotations

import ssl
import sys

import uvloop
from aiohttp import web

from remotecare.protocol.messages import IngestResult, Report


async def post_report(request: web.Request) -> web.Response:
    Report.model_validate_json(await request.read())
    result = IngestResult(accepted=1, duplicates=0, commands=[])
    return web.json_response(text=result.model_dump_json(), status=201)


def main() -> None:
    cert, key, ca, port = sys.argv[1:5]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.num_tickets = 0  # as the center's device API (remotecare.pki.tls)
    app = web.Application()
    app.router.add_post("/api/v1/reports", post_report)
    web.run_app(
        app,
        host="127.0.0.1",
        port=int(port),
        ssl_context=context,
        access_log=None,
        backlog=1024,  # as the center's (remotecare.center.bootstrap)
        loop=uvloop.new_event_loop(),
        print=None,
    )


if __name__ == "__main__":
    main()
