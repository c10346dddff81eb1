"""Private keys: made where they are used, written 0600, never logged or sent."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from remotecare.errors import PkiError

__all__ = ["generate_private_key", "load_private_key", "write_private_key"]

_KEY_FILE_MODE = 0o600


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """Make a fresh ECDSA P-256 key."""
    return ec.generate_private_key(ec.SECP256R1())


def write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write ``key`` as PEM to a new file that only its owner can read.

    The file is created with mode 0600 from the start (no window where it is readable),
    and an existing key is never overwritten.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _KEY_FILE_MODE)
    except FileExistsError as exc:
        raise PkiError(f"refusing to overwrite existing key {path}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())  # on disk before anyone renames it into place
    os.chmod(path, _KEY_FILE_MODE)


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Load a PEM key, refusing one that others can read."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise PkiError(f"key file {path} has mode {mode:o}; it must be 0600")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise PkiError(f"cannot load key {path}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"key {path} is not an EC key")
    return key
