"""Secrets the center hands out: tokens stored only as hashes, passwords as argon2id.

Passwords hashed by earlier versions (scrypt) still verify, and ``password_needs_rehash``
tells the login to store an argon2id hash in their place.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "hash_password",
    "hash_token",
    "new_token",
    "password_needs_rehash",
    "verify_password",
]

# OWASP's first argon2id setting (19 MiB, 2 passes, 1 lane): about 0.1 s here, where
# RFC 9106's 64 MiB took 0.3-0.4 s of a 2-core center for each login.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_ARGON2_PREFIX = "$argon2id$"
_SCRYPT_PREFIX = "scrypt$"


def new_token() -> str:
    """A fresh 256-bit URL-safe secret."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are long random secrets: one SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@functools.cache
def _no_account() -> str:
    """A hash no password matches, compared against for unknown login names."""
    return hash_password(secrets.token_urlsafe(32))


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; with ``stored`` None (no such account) the
    same hashing work is done and False returned, so that the time taken does not tell
    which login names exist."""
    if stored is None:
        verify_password(password, _no_account())
        return False
    if stored.startswith(_SCRYPT_PREFIX):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored: str) -> bool:
    """Whether ``stored`` (which just verified) should be replaced by a fresh hash: an
    earlier version's scrypt, or argon2id with weaker parameters than today's."""
    return not stored.startswith(_ARGON2_PREFIX) or _HASHER.check_needs_rehash(stored)


def _verify_scrypt(password: str, stored: str) -> bool:
    """The hashes of versions before argon2id: ``scrypt$N$r$p$salt$digest`` (hex)."""
    try:
        _, n, r, p, salt_hex, digest_hex = stored.split("$")
        digest = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)
