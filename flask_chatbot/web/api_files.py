"""Files a program sends with a message (the HTTP API's ``files``, the OpenAI endpoint's
``image_url`` parts), stored as the reader's uploads are: within the same quotas and disk floor
(files/upload_quota.py), owned (so ``upload_lifetime`` cleans them up and no conversation of the page
may name them), and gone again when the call is refused after all.
"""

from __future__ import annotations

import io
from typing import Any

from flask import request

from ..files.store import StoredFile
from ..files.upload_quota import ledger_for
from ..files.uploads import owner_of
from ..runtime.concurrency import offload


class FilesRefused(Exception):
    """A call's files are over a quota (429) or the disk is at its floor (507)."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def store_program_files(bot: Any, files: list[tuple[str, str, bytes]], caller: str) -> list[StoredFile]:
    """Store ``files`` (name, MIME type, bytes: already checked against the chat's rules) for
    ``caller`` (an API session, a completion); :class:`FilesRefused` past a quota, with nothing kept."""
    store = bot.content.store
    ledger = ledger_for(store.root, bot.options.upload_quota_rules)
    owner = owner_of(f"api:{caller}")
    stored: list[StoredFile] = []
    try:
        for name, mime, data in files:
            reservation = ledger.reserve(owner, request.remote_addr or "", len(data))
            if not isinstance(reservation, str):
                raise FilesRefused(reservation.status, reservation.code, reservation.message, reservation.retry_after)
            kept = None
            try:
                # Never shared with an equal file (add_bytes would): a refused call removes its own.
                kept = offload(store.add_stream, io.BytesIO(data), name=name, mime_type=mime, owner=owner)
            finally:
                ledger.settle(
                    reservation, kept.size if kept is not None else None, kept.id if kept is not None else None
                )
            stored.append(kept)
    except BaseException:
        discard(bot, stored)
        raise
    return stored


def discard(bot: Any, stored: list[StoredFile]) -> None:
    """Remove a refused call's files: nothing of it stays, nor counts in the quotas."""
    if not stored:
        return
    ledger = ledger_for(bot.content.store.root, bot.options.upload_quota_rules)
    for item in stored:
        bot.content.store.delete(item.id)
        ledger.forget(item.id)


__all__ = ["FilesRefused", "discard", "store_program_files"]
