"""The console's second factor: time-based one-time codes (RFC 6238: 30-second steps,
6 digits, HMAC-SHA1, as every authenticator app makes them), computed by ``pyotp``.

A code is accepted for the current step or one step either side (clocks drift), and only
once: the step it was accepted for is kept, and no code of that step or an earlier one is
accepted again, so that a code seen over a shoulder or in a log cannot be replayed.
"""

from __future__ import annotations

import hmac
import unicodedata
from datetime import datetime

import pyotp

__all__ = ["STEP_SECONDS", "accepted_step", "new_secret", "provisioning_uri"]

STEP_SECONDS = 30
_DIGITS = 6
_DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh shared secret (160 bits, base32, as authenticator apps take it)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app takes (as text or a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` is valid for, else None; a step at or before ``last_step``
    (a code already used) is never accepted again."""
    # NFKC: full-width digits, as a Japanese input method may type them, are digits.
    typed = unicodedata.normalize("NFKC", code).replace(" ", "")
    if len(typed) != _DIGITS or not (typed.isascii() and typed.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=_DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), typed):
            return step
    return None
