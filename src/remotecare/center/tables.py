"""The whole schema: every package's tables on the one ``metadata``, for the migrations
(``kernel/migrations``) and for checks that the migrations build exactly these tables."""

from __future__ import annotations

from remotecare.center.access import tables as access_tables
from remotecare.center.attempts import tables as attempts_tables
from remotecare.center.care import tables as care_tables
from remotecare.center.care.history import tables as history_tables
from remotecare.center.care.incidents import tables as incidents_tables
from remotecare.center.care.meters import tables as meters_tables
from remotecare.center.care.supplies import tables as supplies_tables
from remotecare.center.contracts import tables as contracts_tables
from remotecare.center.fleet import tables as fleet_tables
from remotecare.center.identity import tables as identity_tables
from remotecare.center.kernel.storage import metadata
from remotecare.center.notify import tables as notify_tables
from remotecare.center.privacy import tables as privacy_tables

__all__ = ["PACKAGE_TABLES", "metadata"]

PACKAGE_TABLES = {
    "access": access_tables,
    "attempts": attempts_tables,
    "care": care_tables,
    "care.history": history_tables,
    "care.meters": meters_tables,
    "contracts": contracts_tables,
    "fleet": fleet_tables,
    "identity": identity_tables,
    "care.supplies": supplies_tables,
    "privacy": privacy_tables,
    "care.incidents": incidents_tables,
    "notify": notify_tables,
}
