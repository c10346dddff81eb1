"""Purpose-bound reads benchmark: what the audit log costs a read of contact persons.

A center database holds ``--customers`` accepted customers with 3 contacts each. The
reference reads a customer's contacts the way nothing may in production (straight from
the contracts' rows, no policy, no audit); the measured path reads them through
``PrivacyService.contacts`` (policy, consent check, one audit row per contact), each in
a transaction of its own. Both run in the same process on the same database, so the
ratio is what the purpose check and the audit rows cost.

Usage::

    .venv/bin/python bench/privacy.py                      # SQLite and PostgreSQL
    .venv/bin/python bench/privacy.py --db sqlite --reads 2000
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: throwaway PostgreSQL, applications

from sqlalchemy import Connection, func, select  # noqa: E402
from tests.support.contracts import sample_application  # noqa: E402
from tests.support.postgres import throwaway_postgres  # noqa: E402

from remotecare.center.admin import ADMINISTRATOR  # noqa: E402
from remotecare.center.contracts.contact_records import contact_records  # noqa: E402
from remotecare.center.contracts.service import ContractService  # noqa: E402
from remotecare.center.kernel.clock import SystemClock  # noqa: E402
from remotecare.center.kernel.schema import upgrade_to_head  # noqa: E402
from remotecare.center.kernel.storage import make_engine  # noqa: E402
from remotecare.center.kernel.transactions import Transactions  # noqa: E402
from remotecare.center.privacy.policy import load_policy  # noqa: E402
from remotecare.center.privacy.rules import Purpose  # noqa: E402
from remotecare.center.privacy.service import PrivacyService  # noqa: E402
from remotecare.center.privacy.tables import audit_log  # noqa: E402


def _contacts(n: int) -> list[dict[str, str]]:
    return [
        {
            "name": f"Person {n}-{i}",
            "email": f"p{i}@c{n}.example",
            "phone": f"+81 3 {n:04d} {i:04d}",
        }
        for i in range(3)
    ]


def _seed(transactions: Transactions, customers: int) -> list[int]:
    contracts = ContractService(SystemClock())
    ids = []
    with transactions.begin() as conn:
        for n in range(customers):
            application = sample_application(f"Customer {n}", contacts=_contacts(n))
            application_id = contracts.submit(conn, ADMINISTRATOR, application)
            ids.append(contracts.accept(conn, ADMINISTRATOR, application_id))
    return ids


def _rate(
    transactions: Transactions,
    ids: list[int],
    reads: int,
    read: Callable[[Connection, int], object],
    per_transaction: int = 1,
) -> float:
    started = time.perf_counter()
    for first in range(0, reads, per_transaction):
        with transactions.begin() as conn:
            for i in range(first, min(first + per_transaction, reads)):
                read(conn, ids[i % len(ids)])
    return reads / (time.perf_counter() - started)


def run(url: str, label: str, customers: int, reads: int) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)
    transactions = Transactions(engine)
    try:
        ids = _seed(transactions, customers)
        privacy = PrivacyService(SystemClock(), load_policy())

        def plain(conn: Connection, customer_id: int) -> object:
            return contact_records(conn, customer_id=customer_id)

        def audited(conn: Connection, customer_id: int) -> object:
            return privacy.contacts(
                conn, ADMINISTRATOR, Purpose.NECESSARY_CONTACT, customer_id=customer_id
            )

        _rate(transactions, ids, min(reads, 200), plain)  # warm up
        reference = _rate(transactions, ids, reads, plain)
        measured = _rate(transactions, ids, reads, audited)
        batched = _rate(transactions, ids, reads, audited, per_transaction=50)
        batched_reference = _rate(transactions, ids, reads, plain, per_transaction=50)
        with transactions.read() as conn:
            rows = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        print(
            f"{label}: one read per transaction: reference (no policy, no audit) "
            f"{reference:.0f} reads/s, through privacy (3 audit rows each) {measured:.0f} "
            f"reads/s, ratio {measured / reference:.2f}; 50 reads per transaction: "
            f"{batched_reference:.0f} vs {batched:.0f} reads/s, ratio "
            f"{batched / batched_reference:.2f}; audit rows {rows}"
        )
    finally:
        transactions.dispose()


@contextlib.contextmanager
def _databases(which: str) -> Iterator[list[tuple[str, str]]]:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        found = []
        if which in ("sqlite", "both"):
            found.append(("SQLite", f"sqlite:///{Path(tmp) / 'center.db'}"))
        if which in ("postgresql", "both"):
            cluster = stack.enter_context(throwaway_postgres())
            found.append(("PostgreSQL", cluster.create_database("bench_privacy")))
        yield found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    with _databases(args.db) as databases:
        for label, url in databases:
            run(url, label, args.customers, args.reads)


if __name__ == "__main__":
    main()
