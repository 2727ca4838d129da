"""How much one client may upload: quotas per upload key and per client address over a window,
and a floor of free disk under which uploads stop (docs/files.md, "Limits").

The ledger is an SQLite file in the store's root (``.upload-quota.sqlite3``, one of its
records), so the workers of a host share one count: a client spreading its uploads over
workers gets no more. An upload *reserves* its declared size (or ``max_file_size`` when sent
chunked) before a byte is read, in one transaction with the check, so uploads sent at once
cannot all slip under the quota; the reservation becomes the real size when the file is in,
and goes when it fails. Rows older than the window are dropped as new ones come: the file
stays small.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OptionsError
from ..runtime.sqlite_files import open_wal
from .paths import UPLOAD_LEDGER as LEDGER

DEFAULT_PER_KEY = (500 * 1024**2, 100)  # bytes, files a conversation may upload per window
DEFAULT_PER_ADDRESS = (2 * 1024**3, 500)  # bytes, files one client address may upload per window
DEFAULT_WINDOW = 3600.0  # seconds
DEFAULT_MIN_FREE_DISK = 256 * 1024**2  # bytes the store's disk keeps free: uploads stop short of it
DEFAULT_UPLOAD_LIFETIME = 7 * 86400.0  # seconds a reader's upload is kept after its last use


@dataclass(frozen=True)
class UploadQuota:
    """chat_bp's ``upload_quota``, ``upload_quota_per_address``, ``upload_quota_window``, ``min_free_disk``."""

    per_key: tuple[int, int] | None = DEFAULT_PER_KEY
    per_address: tuple[int, int] | None = DEFAULT_PER_ADDRESS
    window: float = DEFAULT_WINDOW
    min_free_disk: int = DEFAULT_MIN_FREE_DISK


@dataclass(frozen=True)
class QuotaRefusal:
    status: int  # 429 (a quota) or 507 (the disk)
    code: str
    message: str
    retry_after: int | None = None


_ledgers: dict[tuple[Path, UploadQuota], UploadLedger] = {}
_ledgers_lock = threading.Lock()


def ledger_for(root: Path, quota: UploadQuota) -> UploadLedger:
    """The ledger of the store at ``root`` under ``quota`` (one per process: the upload route
    and the APIs that take files count in the same one)."""
    with _ledgers_lock:
        return _ledgers.setdefault((root, quota), UploadLedger(root, quota))


class UploadLedger:
    """What each upload key and client address uploaded lately, shared by a host's workers."""

    def __init__(self, root: Path, quota: UploadQuota) -> None:
        self.root = root
        self.quota = quota
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_wal(self.root / LEDGER, isolation_level=None, check_same_thread=False)
            # done: 0 while the upload is under way (its bytes are reserved on the disk too), 1 once settled.
            db.execute(
                "CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, key TEXT, address TEXT, at REAL, bytes INTEGER,"
                " done INTEGER NOT NULL DEFAULT 0)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS uploads_at ON uploads (at)")
            if "done" not in {row[1] for row in db.execute("PRAGMA table_info(uploads)")}:  # a ledger of 0.9.0.dev0
                db.execute("ALTER TABLE uploads ADD COLUMN done INTEGER NOT NULL DEFAULT 1")
            self._local.db = db
        return db

    def reserve(self, key: str, address: str, size: int) -> str | QuotaRefusal:
        """Reserve ``size`` bytes and one file for ``key`` and ``address``: a reservation id, or why not."""
        now = time.time()
        since = now - self.quota.window
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # the checks and the reservation as one step across workers
        try:
            db.execute("DELETE FROM uploads WHERE at < ?", (since,))
            # The disk's free space less what uploads under way may still write (their reservations).
            (pending,) = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM uploads WHERE done = 0").fetchone()
            if shutil.disk_usage(self.root).free - pending - size < self.quota.min_free_disk:
                db.execute("ROLLBACK")
                return QuotaRefusal(
                    507, "disk_full", "The server has no room for more files just now; please try again later."
                )
            for column, who, limit, what in (
                ("key", key, self.quota.per_key, "this conversation"),
                ("address", address, self.quota.per_address, "your address"),
            ):
                if limit is None:
                    continue
                used, files, oldest = db.execute(
                    f"SELECT COALESCE(SUM(bytes), 0), COUNT(*), MIN(at) FROM uploads WHERE {column} = ?", (who,)
                ).fetchone()
                if used + size > limit[0] or files + 1 > limit[1]:
                    db.execute("ROLLBACK")
                    wait = int((oldest or now) + self.quota.window - now) + 1
                    return QuotaRefusal(
                        429,
                        "quota",
                        f"{what.capitalize()} has uploaded as much as it may for now "
                        f"({limit[1]} files or {size_text(limit[0])} per {_duration(self.quota.window)}); "
                        "please try again later.",
                        wait,
                    )
            reservation = uuid.uuid4().hex
            db.execute("INSERT INTO uploads VALUES (?, ?, ?, ?, ?, 0)", (reservation, key, address, now, size))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return reservation

    def settle(self, reservation: str, size: int | None, file_id: str | None = None) -> None:
        """The upload ended: ``size`` bytes were kept (as ``file_id``, which :meth:`forget` takes
        back), or None (nothing was: the reservation goes)."""
        db = self._db()
        if size is None:
            db.execute("DELETE FROM uploads WHERE id = ?", (reservation,))
        else:
            db.execute(
                "UPDATE uploads SET bytes = ?, done = 1, id = ? WHERE id = ?",
                (size, file_id or reservation, reservation),
            )

    def forget(self, file_id: str) -> None:
        """A kept file was removed again at once (its call was refused): it no longer counts."""
        self._db().execute("DELETE FROM uploads WHERE id = ?", (file_id,))


def _duration(seconds: float) -> str:
    for unit, factor in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= factor:
            count = seconds / factor
            return f"{unit}" if count == 1 else f"{count:g} {unit}s"
    return f"{seconds:g} seconds"


def size_text(size: int) -> str:
    """``size`` bytes as a reader reads them: "1.5 MB", "300 bytes"."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def parse_quota_options(values: dict[str, Any], parse_size: Any) -> None:
    """The quota options in their given forms ("500mb", (bytes, files), None) made exact."""
    for name in ("upload_quota", "upload_quota_per_address"):
        if name not in values or values[name] is None:
            continue
        given = values[name]
        if isinstance(given, (str, bytes)) or not isinstance(given, (tuple, list)) or len(given) != 2:
            raise OptionsError(f"{name} must be (size, files) like ('500mb', 100), or None, not {given!r}")
        files = given[1]
        if isinstance(files, bool) or not isinstance(files, int) or files < 1:
            raise OptionsError(f"{name}'s file count must be a whole number of at least 1, not {files!r}")
        values[name] = (parse_size(given[0], name), files)
    if "upload_quota_window" in values:
        window = values["upload_quota_window"]
        if isinstance(window, bool) or not isinstance(window, (int, float)) or not 0 < window < float("inf"):
            raise OptionsError(f"upload_quota_window must be a number of seconds > 0, not {window!r}")
    if "min_free_disk" in values:
        values["min_free_disk"] = (
            0 if values["min_free_disk"] in (0, None) else parse_size(values["min_free_disk"], "min_free_disk")
        )
    if values.get("upload_lifetime") is not None:
        lifetime = values["upload_lifetime"]
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or not 0 < lifetime < float("inf"):
            raise OptionsError(
                f"upload_lifetime must be a number of seconds > 0, or None to keep uploads, not {lifetime!r}"
            )


__all__ = [
    "DEFAULT_MIN_FREE_DISK",
    "DEFAULT_PER_ADDRESS",
    "DEFAULT_PER_KEY",
    "DEFAULT_UPLOAD_LIFETIME",
    "DEFAULT_WINDOW",
    "LEDGER",
    "QuotaRefusal",
    "UploadLedger",
    "UploadQuota",
    "ledger_for",
    "parse_quota_options",
    "size_text",
]
