"""Command groups whose commands are imported only when they run.

``remotecare --help`` and every single command would otherwise import the whole agent
and the whole center (1.5 s and 100 MB before the first line of output). A
:class:`LazyGroup` knows each lazy command's name and one-line help without importing it,
and imports the module that defines it only when the command is run or its own help is
asked for. ``tests/unit/test_lazy_commands.py`` checks that every one-line help here is
the command's own.

Usage::

    @click.group(cls=LazyGroup, lazy_commands={
        "agent": LazyCommand("remotecare.agent.cli", "agent", "Run the site agent."),
    })
    def main() -> None: ...
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

__all__ = ["LazyCommand", "LazyGroup"]


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a command is defined (``module``, its attribute ``name``) and its one-line help."""

    module: str
    name: str
    short_help: str

    def load(self) -> click.Command:
        # Paused for the import: the collector finds nothing to free in modules, classes
        # and schemas that live as long as the process, yet walks all of them again and
        # again while they are built (the center's imports: 1.1 s of CPU with it, 0.9 s
        # without; bench/startup.py).
        enabled = gc.isenabled()
        gc.disable()
        try:
            module = importlib.import_module(self.module)
        finally:
            if enabled:
                gc.enable()
        command = getattr(module, self.name)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.name} is not a click command")
        return command


class LazyGroup(click.Group):
    """A click group whose ``lazy_commands`` are imported only when used."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = self.lazy_commands.get(cmd_name)
        if lazy is not None and cmd_name not in self.commands:
            self.add_command(lazy.load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, from the stored one-line help of commands not yet imported."""
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max((len(n) for n in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:  # shortened as click shortens a command's own help
                listed = click.Command(name, help=self.lazy_commands[name].short_help)
                rows.append((name, listed.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
