"""Diagnostic bundles from agents: declared, received in chunks that resume, capped in
size, verified by SHA-256, kept as files under the center's home (apart from readings)
with one row each in the database.

The bytes on disk are the truth about how much arrived: after a crash of either side the
resume point is the size of the partial file, never a counter that might disagree.

Usage::

    service = BundleService(home / "bundles", max_bytes=32 * 2**20, clock=clock)
    with transactions.begin() as conn:
        state = service.declare(conn, endpoint_id, declaration)
    with transactions.begin() as conn:
        state = service.append(conn, endpoint_id, bundle_id, offset, chunk)
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from remotecare.center.fleet.tables import diagnostic_bundles
from remotecare.center.kernel.clock import Clock
from remotecare.errors import RemoteCareError
from remotecare.protocol.messages import BundleDeclaration, BundleState

__all__ = [
    "BundleConflict",
    "BundleError",
    "BundleNotFound",
    "BundleRejected",
    "BundleService",
    "BundleTooLarge",
    "RecentBundle",
    "StoredBundle",
    "recent_bundle",
]

RECEIVING: Final = "receiving"
COMPLETE: Final = "complete"
_HASH_BLOCK: Final = 1024 * 1024


class BundleError(RemoteCareError):
    """A bundle request the center refuses (its HTTP status: ``web/errors.py``)."""


class BundleTooLarge(BundleError):
    """Over the center's cap (413)."""


class BundleNotFound(BundleError):
    """No such bundle for this endpoint (404)."""


class BundleConflict(BundleError):
    """The chunk is not at the resume point, or the id is taken by another bundle (409)."""


class BundleRejected(BundleError):
    """The upload is wrong for good: past the declared size, or the digest differs (422)."""


@dataclass(frozen=True, slots=True)
class StoredBundle:
    bundle_id: str
    endpoint_id: str
    printer_serial: str | None
    reason: str
    size_bytes: int
    received_bytes: int
    status: str
    path: Path


class BundleService:
    def __init__(self, directory: Path, *, max_bytes: int, clock: Clock) -> None:
        self._dir = directory
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()  # one writer per process; bundles are rare

    def declare(
        self, conn: Connection, endpoint_id: str, declaration: BundleDeclaration
    ) -> BundleState:
        """Accept a bundle's announcement (again: answer where it stands)."""
        if declaration.size_bytes > self.max_bytes:
            raise BundleTooLarge(
                f"bundle of {declaration.size_bytes} bytes exceeds this center's cap of "
                f"{self.max_bytes} bytes"
            )
        bundle_id = str(declaration.bundle_id)
        with self._lock:
            row = conn.execute(
                select(diagnostic_bundles).where(diagnostic_bundles.c.id == bundle_id)
            ).first()
            if row is not None:
                if (
                    row.endpoint_id != endpoint_id
                    or row.size_bytes != declaration.size_bytes
                    or row.sha256 != declaration.sha256
                ):
                    raise BundleConflict("this bundle id is taken by another bundle")
                return self._state(self._with_path(_stored(row)))
            path = self._dir / endpoint_id / f"{bundle_id}.tar.gz"
            conn.execute(
                insert(diagnostic_bundles).values(
                    id=bundle_id,
                    endpoint_id=endpoint_id,
                    printer_serial=declaration.printer_serial,
                    reason=declaration.reason.value,
                    command_id=None
                    if declaration.command_id is None
                    else str(declaration.command_id),
                    size_bytes=declaration.size_bytes,
                    sha256=declaration.sha256,
                    received_bytes=0,
                    status=RECEIVING,
                    path=str(path.relative_to(self._dir)),
                    declared_at=self._clock.now(),
                )
            )
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return BundleState(
            bundle_id=declaration.bundle_id,
            size_bytes=declaration.size_bytes,
            received_bytes=0,
            complete=False,
        )

    def state(self, conn: Connection, endpoint_id: str, bundle_id: uuid.UUID) -> BundleState:
        return self._state(self._load(conn, endpoint_id, bundle_id))

    def append(
        self, conn: Connection, endpoint_id: str, bundle_id: uuid.UUID, offset: int, chunk: bytes
    ) -> BundleState:
        """Write ``chunk`` at ``offset`` (which must be the resume point); verify at the end."""
        with self._lock:
            stored = self._load(conn, endpoint_id, bundle_id)
            if stored.status == COMPLETE:
                return self._state(stored)
            partial = self._partial(stored)
            received = partial.stat().st_size if partial.exists() else 0
            if offset != received:
                raise BundleConflict(f"expected the chunk at offset {received}, not {offset}")
            if received + len(chunk) > stored.size_bytes:
                raise BundleRejected(
                    f"chunk runs past the declared size of {stored.size_bytes} bytes"
                )
            _append(partial, chunk)
            received += len(chunk)
            values: dict[str, Any] = {"received_bytes": received}
            if received == stored.size_bytes:
                if _sha256(partial) != self._sha256_of(conn, stored.bundle_id):
                    partial.unlink()  # the resume point is 0 again (the file is the truth)
                    raise BundleRejected("SHA-256 differs from the declared one: upload it again")
                os.replace(partial, stored.path)
                values.update(status=COMPLETE, completed_at=self._clock.now())
            self._update(conn, stored.bundle_id, **values)
            return self._state(self._load(conn, endpoint_id, bundle_id))

    def list_for_endpoint(self, conn: Connection, endpoint_id: str) -> list[StoredBundle]:
        rows = conn.execute(
            select(diagnostic_bundles)
            .where(diagnostic_bundles.c.endpoint_id == endpoint_id)
            .order_by(diagnostic_bundles.c.declared_at)
        ).all()
        return [self._with_path(_stored(row)) for row in rows]

    def _load(self, conn: Connection, endpoint_id: str, bundle_id: uuid.UUID) -> StoredBundle:
        row = conn.execute(
            select(diagnostic_bundles).where(
                diagnostic_bundles.c.id == str(bundle_id),
                diagnostic_bundles.c.endpoint_id == endpoint_id,
            )
        ).first()
        if row is None:
            raise BundleNotFound(f"no bundle {bundle_id} from this endpoint")
        return self._with_path(_stored(row))

    def _with_path(self, stored: StoredBundle) -> StoredBundle:
        return StoredBundle(
            stored.bundle_id,
            stored.endpoint_id,
            stored.printer_serial,
            stored.reason,
            stored.size_bytes,
            stored.received_bytes,
            stored.status,
            self._dir / stored.path,
        )

    def _sha256_of(self, conn: Connection, bundle_id: str) -> str:
        return str(
            conn.execute(
                select(diagnostic_bundles.c.sha256).where(diagnostic_bundles.c.id == bundle_id)
            ).scalar_one()
        )

    def _update(self, conn: Connection, bundle_id: str, **values: Any) -> None:
        conn.execute(
            update(diagnostic_bundles).where(diagnostic_bundles.c.id == bundle_id).values(**values)
        )

    @staticmethod
    def _partial(stored: StoredBundle) -> Path:
        return stored.path.with_name(stored.path.name + ".part")

    def _state(self, stored: StoredBundle, received: int | None = None) -> BundleState:
        if received is None:
            if stored.status == COMPLETE:
                received = stored.size_bytes
            else:
                partial = self._partial(stored)
                received = partial.stat().st_size if partial.exists() else 0
        return BundleState(
            bundle_id=uuid.UUID(stored.bundle_id),
            size_bytes=stored.size_bytes,
            received_bytes=received,
            complete=stored.status == COMPLETE,
        )


def _stored(row: Any) -> StoredBundle:
    return StoredBundle(
        row.id,
        row.endpoint_id,
        row.printer_serial,
        row.reason,
        row.size_bytes,
        row.received_bytes,
        row.status,
        Path(row.path),
    )


def _append(path: Path, chunk: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RecentBundle:
    bundle_id: str
    complete: bool


def recent_bundle(
    conn: Connection, endpoint_id: str, printer_serial: str, since: Any
) -> RecentBundle | None:
    """The newest bundle about ``printer_serial`` from ``endpoint_id`` declared at or after
    ``since`` (complete or still arriving), for the fault monitor's diagnosis."""
    row = conn.execute(
        select(diagnostic_bundles.c.id, diagnostic_bundles.c.status)
        .where(
            diagnostic_bundles.c.endpoint_id == endpoint_id,
            diagnostic_bundles.c.printer_serial == printer_serial,
            diagnostic_bundles.c.declared_at >= since,
        )
        .order_by(diagnostic_bundles.c.declared_at.desc())
        .limit(1)
    ).first()
    return None if row is None else RecentBundle(row.id, row.status == COMPLETE)
