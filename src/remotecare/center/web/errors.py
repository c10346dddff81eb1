"""The HTTP status of every error the center answers with, in one table.

Services raise errors of the tree rooted at ``RemoteCareError`` (``remotecare/errors.py``)
and know nothing of HTTP; routes turn one into a refusal with ``refusal``, which looks the
error's class (or its nearest ancestor) up here. An error missing from the table is a
programming error and answers 500.
"""

from __future__ import annotations

from aiohttp import web

from remotecare.center.fleet.bundles import (
    BundleConflict,
    BundleError,
    BundleNotFound,
    BundleRejected,
    BundleTooLarge,
)
from remotecare.center.fleet.printers import AlreadyConfirmed
from remotecare.center.fleet.rules.commands import CommandArgumentError
from remotecare.center.web.responses import refuse
from remotecare.errors import (
    CsrRejected,
    EnrolmentError,
    InvalidMessage,
    OperatorConflict,
    OperatorError,
    PayloadTooLarge,
    ProtocolError,
    RemoteCareError,
    RenewalConflict,
)

__all__ = ["HTTP_STATUS", "refusal", "status_for"]

HTTP_STATUS: dict[type[RemoteCareError], int] = {
    ProtocolError: 400,  # not JSON, not gzip, a truncated body
    InvalidMessage: 422,  # a field the contract does not allow
    PayloadTooLarge: 413,
    EnrolmentError: 403,  # a token or certificate that may not be used
    CsrRejected: 400,
    RenewalConflict: 409,
    OperatorError: 404,  # no such endpoint, printer, ...
    AlreadyConfirmed: 409,
    CommandArgumentError: 422,
    BundleError: 400,
    BundleNotFound: 404,
    BundleConflict: 409,  # not at the resume point: GET tells where it is
    BundleTooLarge: 413,
    BundleRejected: 422,  # past the declared size, or the digest differs
    OperatorConflict: 409,  # an order not at a step this may be done from
}


def status_for(error: RemoteCareError) -> int:
    """The status of ``error``'s class, else of its nearest ancestor in the table."""
    for cls in type(error).__mro__:
        status = HTTP_STATUS.get(cls)
        if status is not None:
            return status
    return 500


def refusal(error: RemoteCareError) -> web.Response:
    """The JSON refusal for ``error``: its status and its message."""
    return refuse(status_for(error), str(error))
