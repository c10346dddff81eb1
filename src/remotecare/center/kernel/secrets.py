"""Secrets the center hands out: tokens stored only as hashes, passwords as scrypt."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

__all__ = ["hash_password", "hash_token", "new_token", "verify_password"]

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def new_token() -> str:
    """A fresh 256-bit URL-safe secret."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are long random secrets: one SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


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

    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(digest.hex(), digest_hex)
