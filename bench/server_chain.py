"""What the chain in the center's server.pem saves on new connections.

Given its server certificate alone, Python's TLS layer has OpenSSL build and verify the
server's chain again on every handshake (its automatic chain; Python has no switch for it);
with the CA's certificate after the server's in the file, the chain is sent as it is. The
bytes on the wire are the same both ways. This runs the same center (same code, same home,
two workers, SQLite) under bench/ingest.py's load of one new mutual-TLS connection per
report, with server.pem holding the certificate alone or the chain, alternated (ABBA), and
prints the rate and the server's and the clients' CPU per connection for each.

Usage: .venv/bin/python bench/server_chain.py [--rounds 4] [--duration 8]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from ingest import Bench, RunResult, make_center, run_load, serving

_ALONE, _CHAIN = "certificate alone", "certificate and CA"


def _measure(bench: Bench, args: argparse.Namespace, variant: str) -> RunResult:
    chain = bench.settings.server_cert_file.read_bytes()
    if variant == _ALONE:
        leaf = x509.load_pem_x509_certificates(chain)[0]
        bench.settings.server_cert_file.write_bytes(leaf.public_bytes(Encoding.PEM))
    try:
        with serving(bench, args.workers) as center:
            url = f"https://localhost:{bench.settings.device_port}/api/v1/reports"
            return run_load(
                f"server.pem: {variant}", url, bench.settings.ca_cert_file, bench.identities,
                args, new_connection=True, server_pids=[center.pid],
            )  # fmt: skip
    finally:
        bench.settings.server_cert_file.write_bytes(chain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="runs of each variant")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--workers", type=int, default=2, help="center processes")
    args = parser.parse_args()
    args.clients, args.endpoints, args.concurrency = 2, 8, 16  # as bench/ingest.py
    root = Path(tempfile.mkdtemp(prefix="remotecare-chain-"))
    results: dict[str, list[RunResult]] = {_ALONE: [], _CHAIN: []}
    try:
        bench = make_center(root, "", args, 100)
        for round_ in range(args.rounds):
            order = (_ALONE, _CHAIN) if round_ % 2 == 0 else (_CHAIN, _ALONE)
            for variant in order:
                results[variant].append(_measure(bench, args, variant))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print()
    for variant, runs in results.items():
        rate = statistics.mean(r.rate for r in runs)
        server = statistics.mean(r.server_cores / r.rate * 1000 for r in runs)
        client = statistics.mean(r.client_cores / r.rate * 1000 for r in runs)
        rates = ", ".join(f"{r.rate:,.0f}" for r in runs)
        print(
            f"  {variant:<20} {rate:6,.0f} connections/s ({rates}); per connection: server"
            f" {server:.3f} ms, clients {client:.3f} ms"
        )
    alone, chain = (statistics.mean(r.rate for r in results[v]) for v in (_ALONE, _CHAIN))
    print(f"  ratio chain/alone: {chain / alone:.1%}")


if __name__ == "__main__":
    main()
