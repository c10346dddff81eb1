"""The device API's TLS: an agent's connection is fully authenticated each time, with no
session ticket to resume it by (agents keep their connections alive instead), and the
server presents a chain made once rather than on every handshake."""

from __future__ import annotations

import asyncio
import ssl
from datetime import timedelta
from pathlib import Path

from cryptography import x509

from remotecare.agent.uplink import agent_tls_context
from tests.support.centers import init_center, running_center
from tests.support.device_calls import enrol


async def test_the_device_api_hands_out_no_session_tickets(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        paths, _ = await enrol(info, center, tmp_path / "agent")
        context = agent_tls_context(paths)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                "127.0.0.1", info.settings.device_port, ssl=context, server_hostname="localhost"
            ),
            10,
        )
        try:
            writer.write(b"GET /api/v1/commands HTTP/1.1\r\nHost: localhost\r\n")
            writer.write(b"Connection: close\r\n\r\n")
            answer = await asyncio.wait_for(reader.read(), 10)  # tickets would come first
            ssl_object = writer.get_extra_info("ssl_object")
            assert isinstance(ssl_object, ssl.SSLObject)
            assert answer.startswith(b"HTTP/1.1 200")
            assert ssl_object.version() == "TLSv1.3"
            assert ssl_object.session is not None
            assert not ssl_object.session.has_ticket
        finally:
            writer.close()


def test_the_server_certificate_file_holds_the_chain_it_presents(tmp_path: Path) -> None:
    settings = init_center(tmp_path / "center").settings
    chain = x509.load_pem_x509_certificates(settings.server_cert_file.read_bytes())
    ca = x509.load_pem_x509_certificate(settings.ca_cert_file.read_bytes())
    assert [cert.issuer for cert in chain] == [ca.subject, ca.subject]
    assert chain[1] == ca
    chain[0].verify_directly_issued_by(ca)
    assert chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_the_server_certificate_names_its_crl_and_lives_at_most_825_days(
    tmp_path: Path,
) -> None:
    settings = init_center(tmp_path / "center").settings
    server = x509.load_pem_x509_certificates(settings.server_cert_file.read_bytes())[0]
    points = server.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    [point] = list(points)
    assert [name.value for name in point.full_name or []] == [
        f"https://localhost:{settings.console_port}/.well-known/est/crl"
    ]
    assert server.not_valid_after_utc - server.not_valid_before_utc <= timedelta(days=825)
