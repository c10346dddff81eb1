"""Which printers an endpoint may report for: bound at once, or after an operator confirms.

Printers are unique per (customer, serial), so a printer is never attached to another
customer's device whichever policy is chosen; the policy only decides whether a printer
an endpoint reports for the first time becomes a device at once (``automatic``) or waits,
with its reports held, until an operator confirms it (``confirm``). A printer known only
by its weak identity (no serial number, vendor serial or MAC address: an address is not a
machine) always waits for an operator, whatever the policy.
"""

from __future__ import annotations

import enum

__all__ = ["Binding", "BindingPolicy"]


class BindingPolicy(enum.StrEnum):
    """The ``printer_binding`` setting of ``center.toml``."""

    AUTOMATIC = "automatic"
    CONFIRM = "confirm"


class Binding(enum.StrEnum):
    """A printer row's ``binding`` column."""

    BOUND = "bound"
    PENDING = "pending"

    @classmethod
    def for_new_printer(cls, policy: BindingPolicy, *, weak: bool = False) -> Binding:
        """A new printer is bound at once only under ``automatic`` and with a real identity."""
        return cls.BOUND if policy is BindingPolicy.AUTOMATIC and not weak else cls.PENDING
