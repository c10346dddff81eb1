"""Diagnostic bundles: what a technician needs when a printer asks for service.

A bundle is a gzip-compressed tar of the printer's SNMP walk (bounded in rows and time),
the agent's recent log lines and a short description, pseudonymized like every report.
It waits in ``bundles/`` in the agent's home until it is uploaded in chunks that resume
where an interruption left them, within a monthly byte budget (terms, article 7: beware
metered lines); what the budget does not allow this month waits, it is not lost.

Usage::

    walk = await collect_walk(target, max_rows=20_000, time_budget_s=60, timeout_s=2, retries=1)
    data = build_bundle(walk, logs.lines(), meta, privacy)
    queue.add(data, BundleReason.CENTER_REQUEST, printer_serial="X1")
    await upload_bundles(queue, uplink, budget, chunk_bytes=256 * 1024, now=now)
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import io
import json
import logging
import os
import tarfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

from remotecare.agent.privacy import Pseudonymizer
from remotecare.agent.probes.snmp import Oid, SnmpTarget, SnmpValue, walk
from remotecare.errors import ProbeError, ReportRejected, UplinkError
from remotecare.protocol.codec import decode, encode
from remotecare.protocol.messages import BundleDeclaration, BundleReason, BundleState

__all__ = [
    "WALK_SUBTREES",
    "BundleQueue",
    "BundleUplink",
    "MonthlyBudget",
    "QueuedBundle",
    "RecentLogs",
    "UploadResult",
    "Walk",
    "build_bundle",
    "collect_walk",
    "upload_bundles",
]

logger = logging.getLogger(__name__)

# 1.3.6.1 group by group, so one runaway table cannot cost the others.
WALK_SUBTREES: Final[tuple[Oid, ...]] = (
    (1, 3, 6, 1, 2, 1, 1),  # system
    (1, 3, 6, 1, 2, 1, 2),  # interfaces
    (1, 3, 6, 1, 2, 1, 25),  # host resources
    (1, 3, 6, 1, 2, 1, 43),  # Printer-MIB
    (1, 3, 6, 1, 2, 1, 4),  # ip
    (1, 3, 6, 1, 2, 1, 11),  # snmp
    (1, 3, 6, 1, 4, 1),  # enterprises (vendor MIBs)
)
# Personal by nature, whatever they say: sysContact, sysName, sysLocation.
_PERSONAL_OIDS: Final = frozenset(
    {(1, 3, 6, 1, 2, 1, 1, 4, 0), (1, 3, 6, 1, 2, 1, 1, 5, 0), (1, 3, 6, 1, 2, 1, 1, 6, 0)}
)
_LOG_LINES: Final = 1000


@dataclass(slots=True)
class Walk:
    values: dict[Oid, SnmpValue] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was cut short, and why


async def collect_walk(
    target: SnmpTarget, *, max_rows: int, time_budget_s: float, timeout_s: float, retries: int
) -> Walk:
    """Walk :data:`WALK_SUBTREES` until ``max_rows`` variables or ``time_budget_s`` pass."""
    result = Walk()
    deadline = time.monotonic() + time_budget_s
    for root in WALK_SUBTREES:
        remaining_rows = max_rows - len(result.values)
        remaining_s = deadline - time.monotonic()
        name = ".".join(map(str, root))
        if remaining_rows <= 0 or remaining_s <= 0:
            result.notes.append(f"{name}: not walked, the bundle's row or time limit was reached")
            continue
        try:
            async with asyncio.timeout(remaining_s):
                result.values.update(
                    await walk(
                        target,
                        [root],
                        timeout_s=timeout_s,
                        retries=retries,
                        max_rows=remaining_rows,
                    )
                )
        except TimeoutError:
            result.notes.append(f"{name}: cut short after {time_budget_s:g} s")
        except ProbeError as exc:
            result.notes.append(f"{name}: {exc}")
    return result


def build_bundle(
    walked: Walk | None, log_lines: Sequence[str], meta: dict[str, Any], privacy: Pseudonymizer
) -> bytes:
    """A tar.gz of ``walk.json``, ``agent.log`` and ``bundle.json``, pseudonymized."""
    files: dict[str, bytes] = {
        "bundle.json": json.dumps(meta, indent=2, default=str).encode(),
        "agent.log": "\n".join(privacy.text(line) for line in log_lines).encode(),
    }
    if walked is not None:
        rows = {
            ".".join(map(str, oid)): _shown(oid, value, privacy)
            for oid, value in sorted(walked.values.items())
        }
        files["walk.json"] = json.dumps({"values": rows, "notes": walked.notes}, indent=1).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=9) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _shown(oid: Oid, value: SnmpValue, privacy: Pseudonymizer) -> str | int:
    if isinstance(value, int):
        return value
    text = value if isinstance(value, str) else _text_or_hex(value)
    if oid in _PERSONAL_OIDS and text:
        return privacy.pseudonym(text)
    return privacy.text(text)


def _text_or_hex(data: bytes) -> str:
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return "hex:" + data.hex()
    if all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return text
    return "hex:" + data.hex()


class RecentLogs(logging.Handler):
    """Keep the agent's last log lines in memory for the next bundle."""

    def __init__(self, capacity: int = _LOG_LINES) -> None:
        super().__init__(level=logging.DEBUG)
        self._lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
        except Exception:  # a logging handler must never raise
            self.handleError(record)

    def lines(self) -> list[str]:
        return list(self._lines)


@dataclass(frozen=True, slots=True)
class QueuedBundle:
    declaration: BundleDeclaration
    path: Path


class BundleQueue:
    """Bundles waiting for upload, one ``<id>.tar.gz`` and ``<id>.json`` each."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory  # made on the first bundle, not before (a full disk may wait)

    def add(
        self,
        data: bytes,
        reason: BundleReason,
        *,
        printer_serial: str | None = None,
        command_id: uuid.UUID | None = None,
    ) -> QueuedBundle:
        declaration = BundleDeclaration(
            bundle_id=uuid.uuid4(),
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            reason=reason,
            printer_serial=printer_serial,
            command_id=command_id,
        )
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self._dir / f"{declaration.bundle_id}.tar.gz"
        _write_atomically(path, data)
        _write_atomically(
            path.with_name(f"{declaration.bundle_id}.json"),
            encode(declaration),
        )
        return QueuedBundle(declaration, path)

    def pending(self) -> list[QueuedBundle]:
        """Waiting bundles, oldest first."""
        found = []
        if not self._dir.is_dir():
            return []
        metas = [p for p in self._dir.glob("*.json") if _is_uuid(p.stem)]
        for meta in sorted(metas, key=lambda p: p.stat().st_mtime):
            data = meta.with_name(f"{meta.stem}.tar.gz")
            if not data.exists():
                meta.unlink(missing_ok=True)
                continue
            declaration = decode(BundleDeclaration, meta.read_bytes())
            found.append(QueuedBundle(declaration, data))
        return found

    def remove(self, bundle: QueuedBundle) -> None:
        bundle.path.with_name(f"{bundle.declaration.bundle_id}.json").unlink(missing_ok=True)
        bundle.path.unlink(missing_ok=True)

    def pending_bytes(self) -> int:
        return sum(b.declaration.size_bytes for b in self.pending())


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


class MonthlyBudget:
    """Bytes of bundles sent in the current calendar month (UTC), kept on disk."""

    def __init__(self, path: Path, limit_bytes: int) -> None:
        self._path = path
        self.limit_bytes = limit_bytes

    def used(self, now: datetime) -> int:
        try:
            data = json.loads(self._path.read_text())
        except (FileNotFoundError, ValueError):
            return 0
        return int(data.get("bytes", 0)) if data.get("month") == _month(now) else 0

    def remaining(self, now: datetime) -> int:
        return max(0, self.limit_bytes - self.used(now))

    def spend(self, count: int, now: datetime) -> None:
        data = {"month": _month(now), "bytes": self.used(now) + count}
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_atomically(self._path, json.dumps(data).encode())


def _read_range(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as data:
        data.seek(offset)
        return data.read(size)


def _month(now: datetime) -> str:
    return now.strftime("%Y-%m")


class BundleUplink(Protocol):
    """What :func:`upload_bundles` needs of the uplink (``Uplink`` is one)."""

    async def declare_bundle(self, declaration: BundleDeclaration) -> BundleState: ...

    async def put_chunk(self, bundle_id: uuid.UUID, offset: int, chunk: bytes) -> BundleState: ...


@dataclass(slots=True)
class UploadResult:
    uploaded: int = 0
    bytes_sent: int = 0
    waiting: int = 0
    refused: int = 0
    over_budget: bool = False
    errors: list[str] = field(default_factory=list)


async def upload_bundles(
    queue: BundleQueue,
    uplink: BundleUplink,
    budget: MonthlyBudget,
    *,
    chunk_bytes: int,
    now: datetime,
) -> UploadResult:
    """Upload waiting bundles, resuming each where the center says it stands."""
    result = UploadResult()
    for bundle in queue.pending():
        declaration = bundle.declaration
        try:
            state = await uplink.declare_bundle(declaration)
            offset = state.received_bytes
            while not state.complete and offset < declaration.size_bytes:
                size = min(chunk_bytes, declaration.size_bytes - offset)
                # Start (or go on) only if the whole rest fits this month's budget, so no
                # bundle lies half-sent for weeks.
                if declaration.size_bytes - offset > budget.remaining(now):
                    result.over_budget = True
                    logger.warning(
                        "diagnostic bundle %s waits: this month's budget of %d bytes "
                        "leaves %d (%d bytes to go)",
                        declaration.bundle_id,
                        budget.limit_bytes,
                        budget.remaining(now),
                        declaration.size_bytes - offset,
                    )
                    break
                chunk = _read_range(bundle.path, offset, size)
                state = await uplink.put_chunk(declaration.bundle_id, offset, chunk)
                if state.received_bytes == offset + len(chunk):  # not a 409's resume point
                    budget.spend(len(chunk), now)
                    result.bytes_sent += len(chunk)
                if state.received_bytes == offset and not state.complete:
                    raise UplinkError(f"the center did not take the chunk at {offset}")
                offset = state.received_bytes
        except ReportRejected as exc:
            logger.error("center refuses diagnostic bundle %s: %s", declaration.bundle_id, exc)
            queue.remove(bundle)
            result.refused += 1
            continue
        except UplinkError as exc:
            result.errors.append(str(exc))
            logger.warning("diagnostic upload paused: %s", exc)
            break
        if result.over_budget:
            break
        if state.complete:
            logger.info(
                "diagnostic bundle %s uploaded (%d bytes)",
                declaration.bundle_id,
                declaration.size_bytes,
            )
            queue.remove(bundle)
            result.uploaded += 1
    result.waiting = len(queue.pending())
    return result
