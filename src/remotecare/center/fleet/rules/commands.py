"""What each command kind needs as arguments: checked before a command is queued.

The center never connects to a device (terms, article 6(3)); it queues a command and the
agent picks it up on its own check-in. A command that the agent could not carry out
should never be queued, so the arguments are checked here, once, without I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from remotecare.errors import OperatorError
from remotecare.protocol.messages import CommandKind
from remotecare.protocol.vocabulary import SERIAL_MAX_CHARS

__all__ = [
    "MAX_POLL_INTERVAL_SECONDS",
    "MIN_POLL_INTERVAL_SECONDS",
    "CommandArgumentError",
    "command_arguments",
]

MIN_POLL_INTERVAL_SECONDS = 60
MAX_POLL_INTERVAL_SECONDS = 86_400

Arguments = dict[str, str | int]


class CommandArgumentError(OperatorError):
    """The arguments do not fit the command kind; the message says which and why."""


def command_arguments(kind: CommandKind, given: Mapping[str, str | int]) -> Arguments:
    """The arguments ``kind`` is queued with, normalized (``"600"`` becomes ``600``).

    Usage::

        command_arguments(CommandKind.SET_POLL_INTERVAL, {"seconds": "600"})  # {"seconds": 600}
    """
    expected = _EXPECTED[kind]
    unknown = sorted(set(given) - set(expected))
    if unknown:
        raise CommandArgumentError(f"{kind.value} takes no argument {', '.join(unknown)}")
    missing = [name for name in expected if name not in given]
    if missing:
        raise CommandArgumentError(f"{kind.value} needs the argument {', '.join(missing)}")
    return {name: check(kind, given[name]) for name, check in expected.items()}


def _seconds(kind: CommandKind, value: str | int) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise CommandArgumentError(f"{kind.value}: seconds must be a whole number") from None
    if not MIN_POLL_INTERVAL_SECONDS <= seconds <= MAX_POLL_INTERVAL_SECONDS:
        raise CommandArgumentError(
            f"{kind.value}: seconds must be between {MIN_POLL_INTERVAL_SECONDS} "
            f"and {MAX_POLL_INTERVAL_SECONDS}"
        )
    return seconds


def _serial(kind: CommandKind, value: str | int) -> str:
    serial = str(value).strip()
    if not serial or len(serial) > SERIAL_MAX_CHARS:
        raise CommandArgumentError(f"{kind.value}: printer must be a printer's serial number")
    return serial


_Check = Callable[[CommandKind, str | int], str | int]

_EXPECTED: dict[CommandKind, dict[str, _Check]] = {
    CommandKind.SET_POLL_INTERVAL: {"seconds": _seconds},
    CommandKind.COLLECT_DIAGNOSTICS: {"printer": _serial},
    CommandKind.RENEW_CERTIFICATE: {},
    CommandKind.REDISCOVER: {},
}
