"""TOTP codes (RFC 6238) are accepted for the current step or one either side, once; and
passwords are argon2id, with earlier versions' scrypt hashes still verifying."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from remotecare.center.access.totp import STEP_SECONDS, accepted_step, new_secret
from remotecare.center.kernel.secrets import (
    hash_password,
    password_needs_rehash,
    verify_password,
)

NOW = datetime(2026, 12, 4, 9, 0, 15, tzinfo=UTC)
SECRET = new_secret()
STEP = int(NOW.timestamp()) // STEP_SECONDS


def _code(at: datetime) -> str:
    return pyotp.TOTP(SECRET).at(at)


def test_the_code_of_now_is_accepted_for_its_step() -> None:
    assert accepted_step(SECRET, _code(NOW), NOW, None) == STEP
    assert accepted_step(SECRET, _code(NOW)[:3] + " " + _code(NOW)[3:], NOW, None) == STEP


@pytest.mark.parametrize("drift", [-1, 1])
def test_one_step_of_clock_drift_is_forgiven(drift: int) -> None:
    at = NOW + timedelta(seconds=drift * STEP_SECONDS)
    assert accepted_step(SECRET, _code(at), NOW, None) == STEP + drift


@pytest.mark.parametrize("drift", [-3, -2, 2, 3])
def test_codes_further_away_are_refused(drift: int) -> None:
    at = NOW + timedelta(seconds=drift * STEP_SECONDS)
    assert accepted_step(SECRET, _code(at), NOW, None) is None


def test_full_width_digits_are_digits() -> None:
    """As a Japanese input method may type them."""
    full_width = "".join(chr(ord(digit) - ord("0") + 0xFF10) for digit in _code(NOW))
    assert accepted_step(SECRET, full_width, NOW, None) == STEP


def test_a_code_works_once() -> None:
    step = accepted_step(SECRET, _code(NOW), NOW, None)
    assert accepted_step(SECRET, _code(NOW), NOW, step) is None
    earlier = NOW - timedelta(seconds=STEP_SECONDS)
    assert accepted_step(SECRET, _code(earlier), NOW, step) is None  # nor an older one


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x", "\uff11" * 7])
def test_what_is_not_six_digits_is_refused(typed: str) -> None:
    assert accepted_step(SECRET, typed, NOW, None) is None


def test_another_secrets_code_is_refused() -> None:
    assert accepted_step(new_secret(), _code(NOW), NOW, None) is None


def test_passwords_are_argon2id_and_verify() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password("correct horse battery staple", stored)
    assert not verify_password("correct horse battery stapler", stored)
    assert not password_needs_rehash(stored)


def test_an_earlier_versions_scrypt_hash_verifies_and_asks_for_a_rehash() -> None:
    salt = bytes(range(16))
    digest = hashlib.scrypt(b"old password 1", salt=salt, n=2**14, r=8, p=1)
    stored = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    assert verify_password("old password 1", stored)
    assert not verify_password("old password 2", stored)
    assert password_needs_rehash(stored)


@pytest.mark.parametrize("stored", ["", "scrypt$1$2", "$argon2id$garbage", "plain"])
def test_a_damaged_hash_matches_nothing(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_an_unknown_user_matches_nothing() -> None:
    assert not verify_password("anything", None)
