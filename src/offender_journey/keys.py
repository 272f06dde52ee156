"""Secret keys for keyed hashing: pseudonyms in exports and tombstones of erased people.

A key is at least 32 random bytes in a file only its owner can read. It never
enters a store or an export: whoever holds it can link pseudonyms back to the ids
they hash (by hashing candidate ids), so it is kept apart from the data.

Examples:
    >>> key = b"k" * 32
    >>> keyed_hash(key, "O1") == keyed_hash(key, "O1")
    True
    >>> keyed_hash(key, "O1") == keyed_hash(key, "O1", purpose="erasure")
    False
    >>> len(keyed_hash(key, "O1"))
    32
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat

from .errors import OffenderJourneyError

__all__ = ["KEY_BYTES", "KeyFileError", "keyed_hash", "load_key", "new_key_file"]

#: The fewest bytes a key may have (256 bits, the size of an HMAC-SHA256 block's output).
KEY_BYTES = 32

#: Hex characters kept of each HMAC-SHA256: 128 bits, far beyond any collision in a store.
_HEX_CHARS = 32


class KeyFileError(OffenderJourneyError):
    """A key file is missing, too short, or readable by others."""


def keyed_hash(key: bytes, value: str, *, purpose: str = "") -> str:
    """HMAC-SHA256 of ``value`` under ``key``, as 32 hex characters.

    ``purpose`` separates uses: the same id hashed for different purposes gives
    unrelated values, so a tombstone cannot be matched against a pseudonymised export.
    """
    message = f"{purpose}\x1f{value}".encode() if purpose else value.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_HEX_CHARS]


def load_key(path: str | os.PathLike[str]) -> bytes:
    """The key in ``path``: must exist, hold at least :data:`KEY_BYTES` bytes, be private.

    Raises:
        KeyFileError: the file is missing, shorter than 32 bytes, or readable or
            writable by group or others (``chmod 600`` it).
    """
    try:
        info = os.stat(path)
        with open(path, "rb") as file:
            key = file.read()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {os.fspath(path)!r}: {exc.strerror}") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise KeyFileError(
            f"key file {os.fspath(path)!r} is open to group or others "
            f"(mode {stat.S_IMODE(info.st_mode):o}); run: chmod 600 {os.fspath(path)}"
        )
    if len(key) < KEY_BYTES:
        raise KeyFileError(
            f"key file {os.fspath(path)!r} holds {len(key)} bytes; a key needs at least "
            f"{KEY_BYTES} random bytes"
        )
    return key


def new_key_file(path: str | os.PathLike[str]) -> None:
    """Write :data:`KEY_BYTES` fresh random bytes to a new file, mode 0600 (never overwrites)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(secrets.token_bytes(KEY_BYTES))
