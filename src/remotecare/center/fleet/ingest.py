"""Ingest: store each report once, bind printers to the endpoint that reads them, and
refuse a report about a printer that belongs to another endpoint.

Under the ``confirm`` binding policy a printer reported for the first time is *pending*:
its reports are stored unattached (``printer_id`` NULL, listed in ``held_reports``) until
an operator confirms it (``fleet/printers.py``). A printer known only by its weak identity
(``rules/identity.py``) is pending under either policy. When a printer first reports a
real serial from the address, endpoint and sysObjectID of a weak printer, it is that
printer: the row takes the real serial and keeps its id (reports, history, device and
binding stay with it), and the weak identity is kept, closed, in ``weak_identities`` with
a pointer to it, so later reports under the weak identity land on the same printer."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection, bindparam, case, insert, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from remotecare.center.fleet.rules.binding import Binding, BindingPolicy
from remotecare.center.fleet.rules.conditions import conditions_fingerprint, is_urgent
from remotecare.center.fleet.rules.identity import former_weak_serial, weak_identity_problem
from remotecare.center.fleet.rules.low_supplies import low_supplies_in
from remotecare.center.fleet.rules.report_time import minted_at
from remotecare.center.fleet.tables import held_reports, printers, reports, weak_identities
from remotecare.center.identity.endpoints import note_contacts
from remotecare.center.kernel.storage import RawJson, UtcDateTime
from remotecare.errors import RemoteCareError
from remotecare.protocol.identity import is_weak_serial
from remotecare.protocol.messages import Report, SerialSource

__all__ = [
    "BindingRaceLost",
    "Caller",
    "IngestOutcome",
    "IngestRequest",
    "ReadingsFeed",
    "Refusal",
    "ingest_many",
    "ingest_reports",
]


@dataclass(frozen=True, slots=True)
class Caller:
    endpoint_id: str
    customer_id: int


@dataclass(frozen=True, slots=True)
class Refusal:
    report_id: str
    reason: str


@dataclass(slots=True)
class IngestOutcome:
    accepted: int = 0
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)


class _Serialized(NamedTuple):
    """A report as stored: its whole JSON, and its reading's JSON (None without one)."""

    report_json: str
    reading_json: str | None


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """One device API request: who sent it, its reports in order, and when it arrived.

    The reports are serialized for storage when the request is made, on the request's own
    thread: the group's writer then only runs SQL, and holds the writer lock (which every
    worker process takes turns on) for less time.
    """

    caller: Caller
    reports: Sequence[Report]
    received_at: datetime
    binding: BindingPolicy = BindingPolicy.AUTOMATIC
    feed: ReadingsFeed | None = None  # where stored readings go next (None: a bench switch)
    serialized: Sequence[_Serialized] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "serialized", [_serialize(r) for r in self.reports])


def _serialize(report: Report) -> _Serialized:
    """The stored report: its own fields around the reading's JSON, so that the reading
    (most of the bytes) is serialized once for the report and for the printer's state."""
    if report.reading is None:
        return _Serialized(report.model_dump_json(exclude_none=True), None)
    reading_json = report.reading.model_dump_json(exclude_none=True)
    head = report.model_dump_json(exclude_none=True, exclude={"reading"})
    return _Serialized(f'{head[:-1]},"reading":{reading_json}}}', reading_json)


class _Owner(NamedTuple):
    printer_id: int
    endpoint_id: str
    pending: bool  # waits for an operator: its reports are held, not attached


_Key = tuple[int, str]  # (customer, serial)
_Owners = dict[_Key, _Owner]


class _Claim(NamedTuple):
    """A printer this group binds: a new row, or a weak printer's row taking its serial."""

    endpoint_id: str
    report: Report
    received_at: datetime
    binding: Binding
    former_serial: str | None = None  # the weak identity it would have had
    former: _Owner | None = None  # the weak printer it is (same endpoint), if one exists


_Claims = dict[_Key, _Claim]


class _Fresh(NamedTuple):
    """A report stored now, about a known printer."""

    printer_id: int
    report: Report
    received_at: datetime
    reading_json: str | None  # the reading as stored in the report, None if it had none
    feed: ReadingsFeed | None  # where this reading goes next (None: nowhere)


class ReadingsFeed(Protocol):
    """Where the readings ingest stored go next, recorded in the same transaction (the
    care feed, ``care/feed.py``, wired by the composition root: the fleet does not know
    who reads its readings)."""

    def __call__(
        self,
        conn: Connection,
        report_ids: Sequence[str],
        printer_ids: Sequence[int] | None = None,
        urgent: Collection[str] = (),
        first: Collection[str] = (),
    ) -> None: ...


def _feed(
    conn: Connection, fresh: Sequence[_Fresh], urgent: Collection[str], first: Collection[str]
) -> None:
    """Hand the readings stored now to their feed (one call per feed, in order), with
    their printers, which of them may change a printer's incidents and which of those are
    their printer's first."""
    by_feed: dict[ReadingsFeed, list[_Fresh]] = {}
    for stored in fresh:
        if stored.feed is not None:
            by_feed.setdefault(stored.feed, []).append(stored)
    for feed, group in by_feed.items():
        report_ids = [str(stored.report.report_id) for stored in group]
        feed(conn, report_ids, [stored.printer_id for stored in group], urgent, first)


_FINGERPRINTS = select(printers.c.id, printers.c.condition_fingerprint).where(
    printers.c.id.in_(bindparam("ids", expanding=True))
)


def _urgent_readings(conn: Connection, fresh: Sequence[_Fresh]) -> tuple[set[str], set[str]]:
    """The fresh readings whose conditions differ from their printer's reading before
    (stored, or earlier in this group): those go ahead in the care feed; and which of
    them are their printer's first (those go after the known printers' changes)."""
    readings = sorted(
        (x for x in fresh if x.report.reading is not None and x.reading_json is not None),
        key=lambda x: x.report.agent_time,
    )
    if not readings:
        return set(), set()
    ids = sorted({x.printer_id for x in readings})
    previous: dict[int, int | None] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = conn.execute(_FINGERPRINTS, {"ids": ids[start : start + _CHUNK]})
        previous.update((printer_id, fingerprint) for printer_id, fingerprint in chunk)
    urgent: set[str] = set()
    first: set[str] = set()
    for stored in readings:
        assert stored.report.reading is not None  # filtered above
        fingerprint = conditions_fingerprint(stored.report.reading)
        before = previous.get(stored.printer_id)
        if is_urgent(fingerprint, before):
            urgent.add(str(stored.report.report_id))
        if before is None:
            first.add(str(stored.report.report_id))
        previous[stored.printer_id] = fingerprint
    return urgent, first


class BindingRaceLost(RemoteCareError):
    """Another process bound a printer this group meant to bind; retry the request alone."""


_CHUNK = 2000  # values per IN (...) list: far below SQLite's and psycopg's parameter limits


# The group's statements, built once: building each statement and its cache key again for
# every group made a group's cost beyond its reports about 1.8 ms instead of 1.2 ms.
# On PostgreSQL the key includes the partition key (minted_at, a function of the id:
# rules/report_time.py), so a duplicate is refused in whichever partition it lives.
_INSERT_REPORTS = {
    name: dialect.insert(reports)
    .on_conflict_do_nothing(index_elements=key)
    .returning(reports.c.report_id)
    for name, dialect, key in (
        ("sqlite", sqlite, ["report_id"]),
        ("postgresql", postgresql, ["report_id", "minted_at"]),
    )
}
# Another process may bind the same printer at the same moment: the unique key decides.
_INSERT_PRINTERS = {
    name: dialect.insert(printers).on_conflict_do_nothing(index_elements=["customer_id", "serial"])
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_PRINTERS_BY_SERIAL = select(
    printers.c.serial, printers.c.id, printers.c.endpoint_id, printers.c.binding
).where(
    printers.c.customer_id == bindparam("customer_id"),
    printers.c.serial.in_(bindparam("keys", expanding=True)),
)
_PRINTERS_BY_ADDRESS = select(printers.c.address, printers.c.id).where(
    printers.c.endpoint_id == bindparam("endpoint_id"),
    printers.c.address.in_(bindparam("keys", expanding=True)),
    printers.c.binding == Binding.BOUND.value,
)
_READING_TIME = bindparam("b_time", type_=UtcDateTime)
_NEWER = or_(printers.c.latest_reading_at.is_(None), printers.c.latest_reading_at <= _READING_TIME)
_PRINTER_READ = (
    update(printers)
    .where(printers.c.id == bindparam("b_id"))
    .values(
        last_report_at=bindparam("b_now", type_=UtcDateTime),
        address=bindparam("b_address"),
        model=case((_NEWER, bindparam("b_model")), else_=printers.c.model),
        latest_reading=case(
            (_NEWER, bindparam("b_reading", type_=printers.c.latest_reading.type)),
            else_=printers.c.latest_reading,
        ),
        latest_reading_at=case((_NEWER, _READING_TIME), else_=printers.c.latest_reading_at),
        low_supplies=case(
            (_NEWER, bindparam("b_low", type_=printers.c.low_supplies.type)),
            else_=printers.c.low_supplies,
        ),
        last_contact_at=case((_NEWER, _READING_TIME), else_=printers.c.last_contact_at),
        unreachable_reason=case((_NEWER, null()), else_=printers.c.unreachable_reason),
        condition_fingerprint=case(
            (_NEWER, bindparam("b_fingerprint", type_=printers.c.condition_fingerprint.type)),
            else_=printers.c.condition_fingerprint,
        ),
    )
)
_PRINTER_SILENT = (
    update(printers)
    .where(printers.c.id == bindparam("b_id"))
    .values(
        last_report_at=bindparam("b_now", type_=UtcDateTime),
        unreachable_reason=case(
            (_NEWER, bindparam("b_reason")), else_=printers.c.unreachable_reason
        ),
    )
)


def ingest_reports(
    conn: Connection, caller: Caller, batch: Sequence[Report], now: datetime
) -> IngestOutcome:
    """Store ``batch`` for ``caller`` in the open transaction of ``conn``.

    All or nothing: if any report is refused, nothing of the batch is written and the
    refusals are returned, so the sender learns exactly which report was wrong.
    """
    return ingest_many(conn, [IngestRequest(caller, batch, now)])[0]


def ingest_many(conn: Connection, requests: Sequence[IngestRequest]) -> list[IngestOutcome]:
    """Store several requests in the open transaction of ``conn`` with a few set-wise
    statements, with the same result as storing them one after another.

    Each request is all or nothing on its own. A printer first reported in this group
    belongs to the first request that names it, exactly as if the requests ran in order.
    Raises ``BindingRaceLost`` when another process bound one of those printers meanwhile:
    the caller then retries each request alone, which refuses cleanly.
    """
    keys = {
        (request.caller.customer_id, r.reading.serial)
        for request in requests
        for r in request.reports
        if r.reading is not None
    }
    owners = _printers_by_serial(conn, keys)  # (customer, serial) -> (printer id, endpoint)
    # A report under a weak identity that was joined already (an outbox backlog) goes to
    # the printer it was joined to; only weak serials unknown as printers are looked up.
    owners.update(
        _joined_weak_identities(conn, {k for k in keys - owners.keys() if is_weak_serial(k[1])})
    )
    formers = _former_weak_printers(conn, requests, owners)
    claimed: _Claims = {}
    outcomes: list[IngestOutcome] = []
    accepted: list[IngestRequest] = []
    for request in requests:
        refused = _refusals(request, owners, claimed)
        outcomes.append(IngestOutcome(refused=refused))
        if refused:
            continue
        accepted.append(request)
        for r in request.reports:
            if r.reading is None:
                continue
            key = (request.caller.customer_id, r.reading.serial)
            if key in owners:
                continue
            first = claimed.get(key)
            if first is None or r.agent_time > first.report.agent_time:
                claimed[key] = _claim(request, r, formers)
    if not accepted:
        return outcomes
    if claimed:
        aliases = _weak_claims_joined(claimed)
        owners.update(_bind_printers(conn, claimed, aliases))
        for weak_key, key in aliases.items():
            owners[weak_key] = owners[key]
    by_address = _printers_by_address(
        conn,
        {
            (request.caller.endpoint_id, r.printer_address)
            for request in accepted
            for r in request.reports
            if r.reading is None
        },
    )
    fresh = _insert_reports(conn, accepted, owners, by_address, outcomes, requests)
    urgent, first_readings = _urgent_readings(conn, fresh)
    _update_printers(conn, fresh)
    _feed(conn, fresh, urgent, first_readings)
    # The last request of each endpoint wins.
    note_contacts(conn, {request.caller.endpoint_id: request.received_at for request in accepted})
    return outcomes


def _claim(request: IngestRequest, r: Report, formers: dict[_Key, _Owner]) -> _Claim:
    """How ``r`` binds its new printer: the policy's way, pending for a weak identity, or
    as the weak printer of the same endpoint that it turns out to be."""
    assert r.reading is not None
    caller = request.caller
    weak = r.reading.serial_source is SerialSource.WEAK
    former_serial = former_weak_serial(caller.endpoint_id, r.printer_address, r.reading)
    former = formers.get((caller.customer_id, former_serial)) if former_serial else None
    if former is not None and former.endpoint_id != caller.endpoint_id:
        former = None  # never join across endpoints (the rule includes the endpoint anyway)
    binding = Binding.for_new_printer(request.binding, weak=weak)
    return _Claim(caller.endpoint_id, r, request.received_at, binding, former_serial, former)


def _former_weak_printers(
    conn: Connection, requests: Sequence[IngestRequest], owners: _Owners
) -> _Owners:
    """The weak printers that printers reporting an unknown real serial were, by weak key.

    Only readings whose serial the center does not know are looked at (a printer's first
    report under its real serial), so a group of known printers costs nothing here.
    """
    wanted = set()
    for request in requests:
        caller = request.caller
        for r in request.reports:
            if r.reading is None or (caller.customer_id, r.reading.serial) in owners:
                continue
            weak = former_weak_serial(caller.endpoint_id, r.printer_address, r.reading)
            if weak is not None:
                wanted.add((caller.customer_id, weak))
    return _printers_by_serial(conn, wanted) if wanted else {}


def _weak_claims_joined(claimed: _Claims) -> dict[_Key, _Key]:
    """Weak printers first seen in this group together with their real serial (a backlog
    from before and after a firmware update): the weak claim is dropped, the real one
    waits for an operator as the weak one would have, and the weak key points to it."""
    aliases: dict[_Key, _Key] = {}
    for key, claim in list(claimed.items()):
        if claim.former is not None or claim.former_serial is None:
            continue
        weak_key = (key[0], claim.former_serial)
        weak_claim = claimed.get(weak_key)
        if weak_claim is not None and weak_claim.endpoint_id == claim.endpoint_id:
            aliases[weak_key] = key
            del claimed[weak_key]
            claimed[key] = claim._replace(binding=Binding.PENDING)
    return aliases


def _refusals(
    request: IngestRequest,
    owners: _Owners,
    claimed: _Claims,
) -> list[Refusal]:
    caller = request.caller
    refused = []
    for r in request.reports:
        if r.reading is None:
            continue
        problem = weak_identity_problem(caller.endpoint_id, r.printer_address, r.reading)
        if problem is not None:
            refused.append(Refusal(str(r.report_id), problem))
            continue
        key = (caller.customer_id, r.reading.serial)
        owner = owners[key][1] if key in owners else claimed.get(key, (caller.endpoint_id,))[0]
        if owner != caller.endpoint_id:
            refused.append(
                Refusal(
                    str(r.report_id), f"printer {r.reading.serial} is bound to another endpoint"
                )
            )
    return refused


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _by_first(keys: set[tuple[Any, str]]) -> Iterator[tuple[Any, Sequence[str]]]:
    """The keys grouped by their first part, the second parts in chunks: so that each
    query names both columns of a two-column index (a customer's serials, an endpoint's
    addresses) instead of scanning every customer's or endpoint's rows."""
    grouped: dict[Any, set[str]] = {}
    for first, second in keys:
        grouped.setdefault(first, set()).add(second)
    for first in sorted(grouped):
        for chunk in _chunks(sorted(grouped[first])):
            yield first, chunk


def _printers_by_serial(conn: Connection, keys: set[tuple[int, str]]) -> _Owners:
    found: _Owners = {}
    for customer_id, serials in _by_first(keys):
        rows = conn.execute(_PRINTERS_BY_SERIAL, {"customer_id": customer_id, "keys": serials})
        for serial, pid, eid, binding in rows:
            found[(customer_id, serial)] = _Owner(pid, eid, binding == Binding.PENDING)
    return found


def _printers_by_address(
    conn: Connection, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for endpoint_id, addresses in _by_first(keys):
        rows = conn.execute(_PRINTERS_BY_ADDRESS, {"endpoint_id": endpoint_id, "keys": addresses})
        for address, pid in rows:
            found[(endpoint_id, address)] = pid
    return found


def _joined_weak_identities(conn: Connection, keys: set[_Key]) -> _Owners:
    """The printers that the closed weak identities among ``keys`` point to."""
    found: _Owners = {}
    for customer_id, serials in _by_first(keys):
        rows = conn.execute(
            select(
                weak_identities.c.serial, printers.c.id, printers.c.endpoint_id, printers.c.binding
            )
            .join(printers, printers.c.id == weak_identities.c.printer_id)
            .where(
                weak_identities.c.customer_id == customer_id,
                weak_identities.c.serial.in_(serials),
            )
        )
        for serial, pid, eid, binding in rows:
            found[(customer_id, serial)] = _Owner(pid, eid, binding == Binding.PENDING)
    return found


def _bind_printers(conn: Connection, claimed: _Claims, aliases: dict[_Key, _Key]) -> _Owners:
    """A printer first reported by an endpoint of this customer is its: bound at once, or
    pending until an operator confirms it, as the binding policy says (a weak identity
    always waits). A weak printer that now reports its real serial takes it: its row is
    renamed and its weak identity closed with a pointer (``weak_identities``)."""
    rows = []
    closed: list[dict[str, Any]] = []
    for (customer_id, serial), claim in sorted(claimed.items()):
        r = claim.report
        assert r.reading is not None
        if claim.former is not None and claim.former_serial is not None:
            weak_id = claim.former.printer_id
            _take_real_serial(conn, weak_id, claim.former_serial, r)
            closed.append(_closed_weak((customer_id, claim.former_serial), claim, serial, weak_id))
            continue
        rows.append(
            {
                "customer_id": customer_id,
                "endpoint_id": claim.endpoint_id,
                "serial": serial,
                "serial_source": r.reading.serial_source.value,
                "address": r.printer_address,
                "model": r.reading.model,
                "first_seen_at": claim.received_at,
                "last_report_at": claim.received_at,
                "binding": claim.binding.value,
            }
        )
    if rows:
        conn.execute(_INSERT_PRINTERS[conn.dialect.name], rows)
    bound = _printers_by_serial(conn, set(claimed))
    for key, claim in claimed.items():
        if bound[key].endpoint_id != claim.endpoint_id:
            raise BindingRaceLost(f"printer {key[1]} was bound by another process meanwhile")
    for weak_key, key in sorted(aliases.items()):
        closed.append(_closed_weak(weak_key, claimed[key], key[1], bound[key].printer_id))
    if closed:
        conn.execute(insert(weak_identities), closed)
    return bound


def _take_real_serial(conn: Connection, printer_id: int, weak_serial: str, r: Report) -> None:
    """The weak printer's row takes the real serial (and keeps its id, so everything that
    points to it stays); it must still carry the weak identity, else another process
    joined it meanwhile."""
    assert r.reading is not None
    renamed = conn.execute(
        update(printers)
        .where(printers.c.id == printer_id, printers.c.serial == weak_serial)
        .values(serial=r.reading.serial, serial_source=r.reading.serial_source.value)
    ).rowcount
    if renamed != 1:
        raise BindingRaceLost(f"weak printer {weak_serial} was joined by another process meanwhile")


def _closed_weak(
    weak_key: _Key, claim: _Claim, real_serial: str, printer_id: int
) -> dict[str, Any]:
    """The closed weak identity's row: what it was, and the printer it is now."""
    customer_id, weak_serial = weak_key
    return {
        "customer_id": customer_id,
        "serial": weak_serial,
        "printer_id": printer_id,
        "endpoint_id": claim.endpoint_id,
        "address": claim.report.printer_address,
        "joined_serial": real_serial,
        "joined_at": claim.received_at,
    }


def _insert_reports(
    conn: Connection,
    accepted: list[IngestRequest],
    owners: _Owners,
    by_address: dict[tuple[str, str], int],
    outcomes: list[IngestOutcome],
    requests: Sequence[IngestRequest],
) -> list[_Fresh]:
    """Insert each report once; count accepted and duplicates; return each report stored
    now about a known printer, in order."""
    rows: dict[str, dict[str, Any]] = {}
    readings: dict[str, str] = {}  # report id -> its reading's JSON
    printer_of: dict[str, int | None] = {}
    held: dict[str, int] = {}  # report id -> the pending printer it waits for
    for request in accepted:
        caller = request.caller
        for r, (report_json, reading_json) in zip(request.reports, request.serialized, strict=True):
            report_id = str(r.report_id)
            if report_id in rows:
                continue
            if reading_json is not None:
                readings[report_id] = reading_json
            owner = owners[(caller.customer_id, r.reading.serial)] if r.reading else None
            printer_id = (
                owner.printer_id
                if owner is not None
                else by_address.get((caller.endpoint_id, r.printer_address))
            )
            printer_of[report_id] = printer_id
            if owner is not None and owner.pending:
                held[report_id] = owner.printer_id
            rows[report_id] = {
                "report_id": report_id,
                "endpoint_id": caller.endpoint_id,
                "printer_id": None if report_id in held else printer_id,
                "printer_address": r.printer_address,
                "agent_time": r.agent_time,
                "received_at": request.received_at,
                "reachable": r.reading is not None,
                "payload": RawJson(report_json),
                "minted_at": minted_at(r.report_id),
            }
    statement = _INSERT_REPORTS[conn.dialect.name]
    inserted = set(conn.execute(statement, [rows[k] for k in sorted(rows)]).scalars())
    held_rows = [{"report_id": k, "printer_id": held[k]} for k in sorted(held) if k in inserted]
    if held_rows:
        conn.execute(insert(held_reports), held_rows)
    fresh: list[_Fresh] = []
    outcome_of = {id(request): outcome for request, outcome in zip(requests, outcomes, strict=True)}
    for request in accepted:
        outcome = outcome_of[id(request)]
        for r in request.reports:
            report_id = str(r.report_id)
            if report_id in inserted:
                inserted.discard(report_id)  # a second copy in the group is a duplicate
                outcome.accepted += 1
                printer_id = printer_of[report_id]
                if printer_id is not None:
                    reading_json = readings.get(report_id)
                    fresh.append(
                        _Fresh(
                            printer_id,
                            r,
                            request.received_at,
                            reading_json,
                            # Held readings are fed once their printer is confirmed.
                            None if reading_json is None or report_id in held else request.feed,
                        )
                    )
            else:
                outcome.duplicates += 1
    return fresh


def _update_printers(conn: Connection, fresh: list[_Fresh]) -> None:
    """Each printer's state from its newest fresh reading and newest "did not answer"
    (newest agent time wins, also against what is stored): two statements for the group."""
    newest_reading: dict[int, _Fresh] = {}
    newest_silence: dict[int, _Fresh] = {}
    for stored in fresh:
        newest = newest_reading if stored.reading_json is not None else newest_silence
        seen = newest.get(stored.printer_id)
        if seen is None or stored.report.agent_time >= seen.report.agent_time:
            newest[stored.printer_id] = stored
    if newest_reading:
        conn.execute(
            _PRINTER_READ,
            [
                {
                    "b_id": pid,
                    "b_now": stored.received_at,
                    "b_address": stored.report.printer_address,
                    "b_model": stored.report.reading.model,
                    "b_reading": RawJson(stored.reading_json),
                    "b_low": low_supplies_in(x.state for x in stored.report.reading.supplies),
                    "b_fingerprint": conditions_fingerprint(stored.report.reading),
                    "b_time": stored.report.agent_time,
                }
                for pid, stored in sorted(newest_reading.items())
                if stored.report.reading is not None and stored.reading_json is not None
            ],
        )
    if newest_silence:
        conn.execute(
            _PRINTER_SILENT,
            [
                {
                    "b_id": pid,
                    "b_now": stored.received_at,
                    "b_reason": stored.report.unreachable_reason,
                    "b_time": stored.report.agent_time,
                }
                for pid, stored in sorted(newest_silence.items())
            ],
        )
