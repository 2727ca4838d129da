"""Upload keys the server issued, and only those (docs/files.md, "Who may upload").

A conversation's upload key names its uploads (files/uploads.py). It is 16 random characters
followed by 16 of an HMAC of them under a secret of the store, so that a client cannot invent
one: an upload or a ``hello`` with a key the server never gave is refused, and an invented
key cannot open a quota of its own (files/upload_quota.py). The secret is a file in the store's
root (``.upload-keys.secret``, one of the store's records, never served), made once by
whichever worker comes first: every worker and host sharing the folder checks keys alike,
with no configuration.

The key keeps the 32 characters of ``wire_fields.UPLOAD_KEY``, so the protocol is unchanged; a
key of an older release (32 random characters) is simply not recognised, and the conversation
gets a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from .paths import UPLOAD_SECRET as SECRET_FILE

_RANDOM = 16  # characters of the key that are random (12 bytes, 96 bits)

_secrets: dict[Path, bytes] = {}
_lock = threading.Lock()


def _secret(root: Path) -> bytes:
    """The store's signing secret, made on first use (atomically: two workers agree)."""
    with _lock:
        known = _secrets.get(root)
        if known is not None:
            return known
        path = root / SECRET_FILE
        try:
            secret = path.read_bytes()
        except FileNotFoundError:
            secret = _make_secret(path)
        if len(secret) < 32:
            raise OSError(f"{path} is not a secret this package made; remove it to make a new one")
        _secrets[root] = secret
        return secret


def _make_secret(path: Path) -> bytes:
    draft = path.with_name(f".tmp{SECRET_FILE}-{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
    try:
        os.link(draft, path)  # fails if another worker's secret got there first: then it is the one
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
    return path.read_bytes()


def _mac(root: Path, random_part: str) -> str:
    digest = hmac.new(_secret(root), random_part.encode("ascii"), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def issue_key(store: Any) -> str:
    """A new upload key for a conversation of ``store`` (a FileStore)."""
    random_part = secrets.token_urlsafe(12)
    return random_part + _mac(store.root, random_part)


def issued(store: Any, key: Any) -> bool:
    """Whether ``key`` is one ``store``'s server issued (checked in constant time)."""
    if not isinstance(key, str) or len(key) != 2 * _RANDOM or not key.isascii():
        return False
    return hmac.compare_digest(key[_RANDOM:], _mac(store.root, key[:_RANDOM]))


__all__ = ["SECRET_FILE", "issue_key", "issued"]
