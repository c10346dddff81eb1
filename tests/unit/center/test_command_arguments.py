"""Each command kind's arguments are checked before anything is queued."""

from __future__ import annotations

import pytest

from remotecare.center.fleet.rules.commands import CommandArgumentError, command_arguments
from remotecare.protocol.messages import CommandKind


def test_set_poll_interval_takes_whole_seconds() -> None:
    assert command_arguments(CommandKind.SET_POLL_INTERVAL, {"seconds": "600"}) == {"seconds": 600}
    assert command_arguments(CommandKind.SET_POLL_INTERVAL, {"seconds": 60}) == {"seconds": 60}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "set_poll_interval needs the argument seconds"),
        ({"seconds": "ten"}, "set_poll_interval: seconds must be a whole number"),
        ({"seconds": "59"}, "set_poll_interval: seconds must be between 60 and 86400"),
        ({"seconds": 86_401}, "set_poll_interval: seconds must be between 60 and 86400"),
        ({"seconds": 600, "jitter": 5}, "set_poll_interval takes no argument jitter"),
    ],
)
def test_set_poll_interval_refuses(given: dict[str, str | int], message: str) -> None:
    with pytest.raises(CommandArgumentError) as caught:
        command_arguments(CommandKind.SET_POLL_INTERVAL, given)
    assert str(caught.value) == message


def test_collect_diagnostics_names_a_printer() -> None:
    assert command_arguments(CommandKind.COLLECT_DIAGNOSTICS, {"printer": " CNB1 "}) == {
        "printer": "CNB1"
    }
    with pytest.raises(CommandArgumentError, match="printer must be a printer's serial number"):
        command_arguments(CommandKind.COLLECT_DIAGNOSTICS, {"printer": "  "})


@pytest.mark.parametrize("kind", [CommandKind.RENEW_CERTIFICATE, CommandKind.REDISCOVER])
def test_commands_without_arguments(kind: CommandKind) -> None:
    assert command_arguments(kind, {}) == {}
    with pytest.raises(CommandArgumentError, match=f"^{kind.value} takes no argument x$"):
        command_arguments(kind, {"x": "1"})


def test_every_command_kind_has_a_rule() -> None:
    for kind in CommandKind:
        with pytest.raises(CommandArgumentError):
            command_arguments(kind, {"not_an_argument": 1})
