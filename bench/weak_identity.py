"""What the weak identity costs ingest: the same groups of reports stored with and without
its steps, alternated in one run, in-process on a durable SQLite center database.

Ingest checks every reading's identity against the weak identity rule (a prefix test for
a real serial, a SHA-256 for a weak one), looks up closed weak identities for weak
serials it does not know, and the weak printer a printer reporting an unknown real serial
was. Each round stores ``--printers`` reports of known printers in one transaction, as a
group commit does; the reference rounds run the same code with those steps replaced by
no-ops, and each variant goes first every other round. Printed: CPU microseconds per
report (process time, so the other load on the machine counts less) for both, and their
ratio, for groups of printers with a serial and for groups of weak printers.

Usage::

    .venv/bin/python bench/weak_identity.py [--printers 200] [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from remotecare.center import tables as _all_tables  # noqa: F401  (every table on metadata)
from remotecare.center.config import CenterSettings
from remotecare.center.contracts.tables import customers
from remotecare.center.fleet import ingest
from remotecare.center.fleet.ingest import Caller, IngestRequest
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.storage import make_engine
from remotecare.center.setup import initialize_center
from remotecare.protocol.identity import weak_serial
from remotecare.protocol.messages import (
    Counter,
    DeviceStatus,
    PrinterReading,
    Report,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
    new_report_id,
)

ENDPOINT = "0b6f0d0e-6c43-4a4f-9a5e-6d1c2e3f4a5b"
OID = "1.3.6.1.4.1.2385.3.1.112.1.2"
START = datetime(2026, 12, 1, tzinfo=UTC)


def reading(serial: str, source: SerialSource, pages: int) -> PrinterReading:
    return PrinterReading(
        serial=serial,
        serial_source=source,
        model="ACME ColorMFP 4500",
        status=DeviceStatus(device_status="running", printer_status="idle"),
        counters=[Counter(name="total", value=pages, unit="impressions")],
        supplies=[
            Supply(
                index=i,
                description=f"Toner {i}",
                type="toner",
                supply_class=SupplyClass.CONSUMED,
                level=80,
                max_capacity=100,
                percent=80.0,
                state=SupplyState.OK,
            )
            for i in range(1, 5)
        ],
        sys_object_id=OID,
    )


def group(printers: int, step: int, *, weak: bool) -> list[Report]:
    reports = []
    for number in range(printers):
        address = f"snmp://10.0.{number // 250}.{number % 250 + 1}:161"
        if weak:
            serial, source = weak_serial(ENDPOINT, address, OID), SerialSource.WEAK
        else:
            serial, source = f"SER-{number:06d}", SerialSource.PRINTER_MIB
        reports.append(
            Report(
                report_id=new_report_id(),
                agent_time=START + timedelta(minutes=5 * step, seconds=number),
                printer_address=address,
                reading=reading(serial, source, 1000 + step),
            )
        )
    return reports


def _none(*args: Any) -> None:
    return None


def _nothing(*args: Any) -> dict[Any, Any]:
    return {}


# The weak identity's steps in ingest, and the no-ops the reference runs instead.
_STEPS: dict[str, Callable[..., Any]] = {
    "weak_identity_problem": _none,
    "_former_weak_printers": _nothing,
    "_joined_weak_identities": _nothing,
}


@contextmanager
def without_weak_identity() -> Iterator[None]:
    """The reference: ingest with the weak identity's steps replaced by no-ops."""
    saved = {name: getattr(ingest, name) for name in _STEPS}
    for name, stand_in in _STEPS.items():
        setattr(ingest, name, stand_in)
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(ingest, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--printers", type=int, default=200, help="reports per group")
    parser.add_argument("--rounds", type=int, default=30, help="groups per variant and kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="remotecare-bench-weak-") as folder:
        settings = CenterSettings(home=Path(folder) / "center", hostname="localhost")
        initialize_center(settings, password="bench-password-not-secret")
        engine = make_engine(settings.effective_database_url)
        with engine.begin() as conn:
            customer_id = conn.execute(
                insert(customers)
                .values(name="Bench", status="active", created_at=START)
                .returning(customers.c.id)
            ).scalar_one()
            conn.execute(
                insert(endpoints).values(
                    id=ENDPOINT,
                    customer_id=customer_id,
                    certificate_serial="bench",
                    certificate_not_after=START + timedelta(days=365),
                    revoked=False,
                    enrolled_at=START,
                )
            )
        caller = Caller(ENDPOINT, int(customer_id))
        step = 0

        def store(weak: bool) -> float:
            nonlocal step
            step += 1
            batch = group(args.printers, step, weak=weak)
            request = IngestRequest(caller, batch, START, BindingPolicy.AUTOMATIC, None)
            began = time.process_time()
            with engine.begin() as conn:
                [outcome] = ingest.ingest_many(conn, [request])
            spent = time.process_time() - began
            assert outcome.accepted == len(batch), outcome
            return spent / len(batch) * 1e6

        store(weak=False)  # the printers exist from here on: steady state
        store(weak=True)
        print(
            f"{args.printers} reports a group, {args.rounds} groups per variant, alternated; "
            "CPU microseconds per report (median)"
        )
        for weak in (False, True):
            with_steps: list[float] = []
            reference: list[float] = []
            for round_number in range(args.rounds):
                if round_number % 2:  # each variant goes first every other round
                    with_steps.append(store(weak))
                with without_weak_identity():
                    reference.append(store(weak))
                if not round_number % 2:
                    with_steps.append(store(weak))
            kind = "weak printers " if weak else "known printers"
            now, then = statistics.median(with_steps), statistics.median(reference)
            print(
                f"  {kind}: with the weak identity {now:7.1f} us, without {then:7.1f} us, "
                f"ratio {now / then:.3f}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
