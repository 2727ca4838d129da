"""Which paths the file store may copy from, what names it writes, the folder of a chat's
default store (files/store.py), the store's errors and the names of its own records.

A path fn returns is copied only from below the allowed folders, after resolving links, and
never a hidden path below them (``.env``, ``.git/config``) unless listed itself: a reply
naming one by mistake, or by a prompt injection, must not publish a secret.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import re
from pathlib import Path
from typing import Any

from ..errors import ChatbotError


class FileStoreError(ChatbotError):
    """A file the store cannot take."""


class FileRefused(FileStoreError):
    """A path that is not a regular file, outside the store's ``allowed_paths``, or hidden
    (a name starting with ``.``) below them; the message says what to allow."""


def check_allowed(given: str, real: Path, allowed_paths: tuple[Path, ...] | None) -> None:
    """Raise :class:`FileRefused` unless ``real`` (``given`` with its links resolved:
    ``out/link.png -> ../.env`` is ``.env``) may be copied: below one of ``allowed_paths``
    (None: anywhere) and not hidden below all of those it is in."""
    if allowed_paths is None:
        return
    roots = [root for root in allowed_paths if _is_within(real, root)]
    if not roots:
        raise FileRefused(
            f"{given!r} is outside the folders files may be sent from; to send it, add it "
            "or its folder to chat_bp(fn, allowed_paths=[...])"
        )
    if all(_hidden_below(real, root) for root in roots):
        raise FileRefused(
            f"{given!r} is a hidden path (a name starting with '.'), which is not sent unless "
            "listed itself; to send it, add the file or its hidden folder to chat_bp(fn, allowed_paths=[...])"
        )


_FS_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def fs_name(name: str) -> str:
    """The on-disk name of a blob: ``name`` with what a file system refuses replaced,
    no leading dot (``.meta.json`` is the store's), at most 120 bytes of UTF-8."""
    text = _FS_UNSAFE.sub("_", name).lstrip(". ").rstrip(". ")
    while len(text.encode("utf-8")) > 120:
        stem, ext = os.path.splitext(text)
        text = (stem[:-1] + ext) if stem else text[:-1]
    return text or "file"


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _hidden_below(path: Path, folder: Path) -> bool:
    """Whether a part of ``path`` below ``folder`` starts with a dot (``folder`` itself may)."""
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def user_name() -> str:
    """The user this process runs as, fit for a folder name."""
    if hasattr(os, "getuid"):
        return str(os.getuid())
    try:
        import getpass

        return re.sub(r"[^A-Za-z0-9_-]", "_", getpass.getuser())
    except (ImportError, KeyError, OSError):
        return "user"


def app_folder(name: str, fn: Any) -> str:
    """The default store's folder of one chat: its blueprint's name and a digest of where its fn
    is defined (the file, or the working directory for a fn without one), so that two apps of
    one user, or two chats of one app, never share a store by accident."""
    try:
        where = inspect.getsourcefile(inspect.unwrap(fn)) or ""
    except TypeError:  # a builtin or a callable object without a source file
        where = ""
    place = os.path.realpath(where) if where else os.getcwd()
    digest = hashlib.sha256(f"{place}\0{name}".encode()).hexdigest()[:12]
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', name)[:40]}-{digest}"


def covers(denied: Path, real: Path) -> bool:
    """Whether ``real`` is ``denied``, below it (a folder), or a companion of it (an SQLite
    database's ``-wal`` and ``-shm`` files)."""
    return (
        real == denied
        or denied in real.parents
        or (real.parent == denied.parent and real.name.startswith(denied.name + "-"))
    )


class FileTooLarge(FileStoreError):
    """A file over the store's ``max_bytes``; nothing of it is kept."""

    def __init__(self, name: str, max_bytes: int) -> None:
        super().__init__(f"{name!r} is larger than the limit of {max_bytes} bytes")
        self.name = name
        self.max_bytes = max_bytes


class FileIncomplete(FileStoreError):
    """A stream that ended before the size it announced; nothing of it is kept."""


# What else the store's root holds, beside its files: the HTTP API's sessions (web/http_api.py) and the
# examples' cached replies (stores/example_cache.py). Never sent as files.
API_SESSIONS_DB = "api-sessions.sqlite3"
CACHED_EXAMPLES = "cached-examples"
UPLOAD_LEDGER = ".upload-quota.sqlite3"  # files/upload_quota.py's
UPLOAD_SECRET = ".upload-keys.secret"  # files/upload_keys.py's
TURN_LOG_DB = "turns.sqlite3"  # conversation/turns.py's: the frames of the host's turns
RECORDS = (API_SESSIONS_DB, CACHED_EXAMPLES, UPLOAD_LEDGER, UPLOAD_SECRET, TURN_LOG_DB)


__all__ = [
    "API_SESSIONS_DB",
    "CACHED_EXAMPLES",
    "RECORDS",
    "TURN_LOG_DB",
    "UPLOAD_LEDGER",
    "UPLOAD_SECRET",
    "FileIncomplete",
    "FileRefused",
    "FileStoreError",
    "FileTooLarge",
    "app_folder",
    "check_allowed",
    "covers",
    "fs_name",
    "user_name",
]
