"""Every error the center may answer with has its HTTP status in one table."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import remotecare.center
from remotecare import errors
from remotecare.center.fleet.ingest import BindingRaceLost
from remotecare.center.notify.senders import DeliveryError
from remotecare.center.web.errors import HTTP_STATUS, status_for
from remotecare.errors import RemoteCareError

# Errors that never reach an HTTP answer: the agent's, the center's start-up ones, and
# what the center handles itself.
_NOT_ANSWERED = {
    errors.ConfigError,
    errors.PkiError,
    errors.ProbeError,
    errors.OutboxError,
    errors.UplinkError,
    errors.HttpError,  # the agent's HTTP client's
    errors.CommandError,
    BindingRaceLost,  # the group committer retries the request alone; never answered
    DeliveryError,  # the notification outbox tries again later; never answered
}


def _center_error_classes() -> set[type[RemoteCareError]]:
    for module in pkgutil.walk_packages(remotecare.center.__path__, "remotecare.center."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: set[type[RemoteCareError]] = set()
    pending: list[type[RemoteCareError]] = [RemoteCareError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found.add(sub)
            pending.append(sub)
    return found


def _answered(cls: type[RemoteCareError]) -> bool:
    return not any(issubclass(cls, skipped) for skipped in _NOT_ANSWERED)


ANSWERED = sorted(
    (cls for cls in _center_error_classes() if _answered(cls)), key=lambda c: c.__qualname__
)


def test_the_center_defines_errors_to_check() -> None:
    names = {cls.__name__ for cls in ANSWERED}
    assert {"BundleConflict", "AlreadyConfirmed", "CsrRejected", "PayloadTooLarge"} <= names


@pytest.mark.parametrize("cls", ANSWERED, ids=lambda cls: cls.__qualname__)
def test_every_error_the_center_answers_with_has_a_status(cls: type[RemoteCareError]) -> None:
    assert 400 <= status_for(cls("why")) < 500


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.PayloadTooLarge("too big"), 413),
        (errors.ProtocolError("not gzip"), 400),
        (errors.CsrRejected("not a CSR"), 400),
        (errors.RenewalConflict("another won"), 409),
        (errors.EnrolmentError("token used"), 403),
    ],
)
def test_the_nearest_class_in_the_table_decides(error: RemoteCareError, status: int) -> None:
    assert status_for(error) == status


def test_the_table_names_only_errors_of_the_tree() -> None:
    assert all(issubclass(cls, RemoteCareError) for cls in HTTP_STATUS)
