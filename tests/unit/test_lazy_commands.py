"""The command line imports a group only when it runs: `remotecare --help` loads neither
the agent nor the center, the agent never loads the center, and each group's one-line
help as listed is its own."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from remotecare.cli import GROUPS, main
from remotecare.commands import LazyCommand, LazyGroup

HEAVY = ("sqlalchemy", "alembic", "aiohttp", "pysnmp", "cryptography", "jinja2", "scipy")


def modules_loaded_by(*args: str) -> set[str]:
    """The modules a fresh interpreter holds after running `remotecare ARGS`."""
    script = (
        "import json, sys\n"
        "from remotecare.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_help_loads_no_group_and_no_heavy_library() -> None:
    loaded = modules_loaded_by("--help")
    assert not {m for m in loaded if m.startswith(("remotecare.agent", "remotecare.center"))}
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)


def test_the_agent_does_not_load_the_center() -> None:
    loaded = modules_loaded_by("agent", "--help")
    assert "remotecare.agent.cli" in loaded
    assert not {m for m in loaded if m.startswith(("remotecare.center", "remotecare.demo"))}


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_each_listed_help_is_the_groups_own(name: str) -> None:
    command = GROUPS[name].load()
    assert command.name == name
    assert GROUPS[name].short_help == command.get_short_help_str(limit=10_000)


def test_help_lists_every_group_with_its_help() -> None:
    output = CliRunner().invoke(main, ["--help"]).output
    for name in GROUPS:
        assert f"  {name} " in output
    assert "Run the site agent." in output


def test_a_lazy_command_runs_like_any_other() -> None:
    result = CliRunner().invoke(main, ["center", "--help"])
    assert result.exit_code == 0
    assert "serve" in result.output


def test_a_lazy_entry_that_is_no_command_is_refused() -> None:
    group = LazyGroup(lazy_commands={"x": LazyCommand("remotecare.cli", "GROUPS", "Nothing.")})
    with pytest.raises(TypeError, match="not a click command"):
        group.get_command(click.Context(group), "x")


def test_an_unknown_command_is_still_refused() -> None:
    result = CliRunner().invoke(main, ["nothing"])
    assert result.exit_code == 2
    assert "No such command 'nothing'" in result.output
