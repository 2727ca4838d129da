"""Opening the SQLite files the stores keep (saved chats, API sessions, the upload ledger) from
many threads and worker processes at once.

WAL mode lets readers go on while one writes, and it is a property of the file: set once, it
stays. Setting it takes the file for a moment, and SQLite answers "database is locked" at once to
a connection that tries while another holds the file, without waiting for ``timeout`` as other
statements do: eight uploads arriving together on a fresh store hit it. So a connection sets WAL
only when the file is not in it yet, and tries again for a while when another is setting it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_WAL_TRIES = 200  # 10 s at 50 ms: another connection's change of mode takes milliseconds
_lock = threading.Lock()  # this process's connections set the mode one at a time


def open_wal(path: str | Path, **options: Any) -> sqlite3.Connection:
    """A connection to ``path`` (``options``: sqlite3.connect's) with the file in WAL mode."""
    db: sqlite3.Connection = sqlite3.connect(path, timeout=10, **options)
    for _ in range(_WAL_TRIES):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return db
            with _lock:
                db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                db.close()
                raise
            time.sleep(0.05)
    db.close()
    raise sqlite3.OperationalError(f"{path}: could not be put in WAL mode (locked)")


__all__ = ["open_wal"]
