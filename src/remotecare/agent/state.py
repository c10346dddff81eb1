"""What the agent keeps between runs besides its outbox: changes the center asked for
(the poll interval), commands already carried out (so a lost acknowledgement never makes
one run twice), and when each printer last got an automatic diagnostic bundle.

``state.json`` in the agent's home, replaced atomically; ``agent.toml`` stays the
operator's file and is never rewritten by the agent.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from remotecare.errors import ConfigError
from remotecare.protocol.messages import CommandAck, CommandOutcome

__all__ = ["AgentState"]

_KEEP_DONE: Final = 200  # acknowledgements remembered


@dataclass(slots=True)
class AgentState:
    """Usage::

    state = AgentState.load(paths.state)
    state.poll_interval_seconds = 60
    state.save(paths.state)
    """

    poll_interval_seconds: float | None = None
    done: dict[str, CommandAck] = field(default_factory=dict)  # command id -> its answer
    auto_bundles: dict[str, datetime] = field(default_factory=dict)  # printer serial -> when

    @classmethod
    def load(cls, path: Path) -> AgentState:
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        except ValueError as exc:
            raise ConfigError(f"{path} is damaged: {exc}; remove it to start afresh") from exc
        return cls(
            poll_interval_seconds=data.get("poll_interval_seconds"),
            done={
                command_id: CommandAck.model_validate(ack)
                for command_id, ack in data.get("done", {}).items()
            },
            auto_bundles={
                serial: datetime.fromisoformat(when)
                for serial, when in data.get("auto_bundles", {}).items()
            },
        )

    def save(self, path: Path) -> None:
        done = list(self.done.items())[-_KEEP_DONE:]
        data = {
            "poll_interval_seconds": self.poll_interval_seconds,
            "done": {command_id: ack.model_dump(mode="json") for command_id, ack in done},
            "auto_bundles": {
                serial: when.isoformat() for serial, when in self.auto_bundles.items()
            },
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2) + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)

    def remember(self, command_id: str, outcome: CommandOutcome, detail: str | None) -> CommandAck:
        ack = CommandAck(outcome=outcome, detail=None if detail is None else detail[:256])
        self.done[command_id] = ack
        return ack
