"""Every error the agent side raises on purpose is a RemoteCareError from one module."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

from remotecare import errors

AGENT_SIDE = ("agent", "protocol", "demo", "pki")


def agent_side_modules() -> list[str]:
    names = []
    for package in AGENT_SIDE:
        root = importlib.import_module(f"remotecare.{package}")
        names += [info.name for info in pkgutil.walk_packages(root.__path__, f"{root.__name__}.")]
    return names


def test_every_error_is_a_remotecare_error_and_drawn_in_the_tree() -> None:
    tree = errors.__doc__ or ""
    for name in errors.__all__:
        kind = getattr(errors, name)
        assert issubclass(kind, errors.RemoteCareError), name
        drawn = re.search(rf"^(.* )?{kind.__name__}( |$)", tree, re.MULTILINE)
        assert drawn, f"{kind.__name__} is missing from the tree"


@pytest.mark.parametrize("module_name", agent_side_modules())
def test_the_agent_side_defines_no_error_of_its_own(module_name: str) -> None:
    module = importlib.import_module(module_name)
    defined_here = [
        name
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == module_name
    ]
    assert defined_here == [], f"move {defined_here} to remotecare.errors"
