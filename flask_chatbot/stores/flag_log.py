"""The flag log: one CSV per blueprint that many worker processes append to safely.

    log = FlagLog(".flask-chatbot/flagged")
    log.write(conversation="c1", index=3, message="2+2=5", flag="Dislike", user="ada")
    log.read()[0]["flag"]  # -> "Dislike"

Unlike Gradio's log (five header columns, four values per row) the header and every row
always have the same six columns, so the file opens cleanly in a spreadsheet.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import re
from datetime import datetime, timezone
from pathlib import Path

COLUMNS: tuple[str, ...] = ("conversation", "index", "message", "flag", "timestamp", "user")
# One flag must not be able to write megabytes: the message is cut here, every other cell
# (ids, option names, user names: all short by nature) at MAX_CELL_CHARS.
MAX_MESSAGE_CHARS = 100_000
MAX_CELL_CHARS = 1_000
# Leading characters that make Excel, LibreOffice or Google Sheets evaluate a cell as a
# formula (OWASP "CSV Injection"); such a cell gets a leading "'" so it is shown as text.
# Spreadsheets skip blanks and invisible characters before a formula, and some read the
# full-width signs as theirs: what counts is the first character after any of those.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_LEADING_BLANKS = re.compile("[\\s\u180e\u200b-\u200d\u2060\ufeff]*")
# Excel opens a BOM-less CSV in the legacy ANSI code page and shows UTF-8 text as mojibake;
# with the BOM it reads UTF-8. Python reads it back with encoding="utf-8-sig", LibreOffice and
# Sheets ignore it. Written once, as the first bytes of the file, together with the header.
_BOM = "\ufeff".encode("utf-8")
# A lone surrogate (possible from JSON "\ud800") cannot be encoded; it must cost neither the row
# nor the file's validity as UTF-8, so it becomes U+FFFD like any undecodable character.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _cell(value: str, limit: int) -> str:
    """A text cell a spreadsheet shows as text: no NULs, capped, never run as a formula."""
    # NUL first: "\0=cmd()" must not slip past the formula check once the NUL is gone.
    text = _SURROGATE.sub("\ufffd", str(value).replace("\x00", ""))
    if len(text) > limit:
        text = f"{text[:limit]}… [truncated: {len(text)} characters in all]"
    blanks = _LEADING_BLANKS.match(text)
    assert blanks is not None  # "[...]*" matches at the start of every string, if only an empty run
    if text.startswith(_FORMULA_LEADS) or text[blanks.end() :].startswith(_FORMULA_LEADS):
        text = "'" + text
    return text


def _csv_line(values: list[str]) -> bytes:
    buffer = io.StringIO()
    # RFC 4180: CRLF line ends, fields quoted only when needed, quotes doubled. Newlines inside
    # a message stay inside its quoted field, so one row is always one record.
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


def _utc_iso(timestamp: datetime | None) -> str:
    if timestamp is None:
        timestamp = datetime.now(timezone.utc)
    elif timestamp.tzinfo is None:
        # A naive time could be local or UTC; a silently wrong audit time is worse than an error.
        raise ValueError("FlagLog.write: timestamp must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return timestamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FlagLog:
    """The flag log of one blueprint: ``directory/filename``, a UTF-8 CSV with a header row.

    Safe for many processes (gunicorn workers) appending at once: each row is built in memory
    and written in one locked append, so no row is lost, torn or interleaved, and the header is
    written exactly once. ``fsync=True`` (the default) makes each flag durable before write()
    returns: flags come at the pace of human clicks, so the few milliseconds are worth not
    losing feedback in a crash; pass False where throughput matters more than durability.
    """

    def __init__(self, directory: str | os.PathLike[str], *, filename: str = "flags.csv", fsync: bool = True) -> None:
        if not filename or filename in (".", "..") or "/" in filename or "\x00" in filename:
            raise ValueError(f"FlagLog: filename must be a plain file name, not {filename!r}")
        self.directory = Path(directory)
        self.path = self.directory / filename
        self.fsync = fsync

    def write(
        self,
        *,
        conversation: str,
        index: int,
        message: str,
        flag: str,
        user: str | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Append one flag. Raises OSError if the disk refuses; the file is then left as it was."""
        # bool is an int subclass; "True" in an index column would be a bug upstream.
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"FlagLog.write: index must be a non-negative int, not {index!r}")
        row = _csv_line(
            [
                _cell(conversation, MAX_CELL_CHARS),
                str(index),  # a number we format ourselves: never a formula, left untouched
                _cell(message, MAX_MESSAGE_CHARS),
                _cell(flag, MAX_CELL_CHARS),
                _utc_iso(timestamp),
                "" if user is None else _cell(user, MAX_CELL_CHARS),
            ]
        )
        header = _BOM + _csv_line(list(COLUMNS))  # built before the lock: hold it briefly
        self._append(header, row)

    def _append(self, header: bytes, row: bytes) -> None:
        # 0o750/0o640: the log holds users' words; the server's group may read it, others not.
        self.directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            # flock is per open file description, so it excludes other processes and other
            # threads alike; O_APPEND alone does not stop two large writes from interleaving.
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            # Size checked under the lock: of several writers racing on a new file, exactly
            # one sees it empty and writes the header.
            data = memoryview(header + row if size == 0 else row)
            try:
                while data:  # os.write may write less than asked (signals, quotas, limits)
                    data = data[os.write(fd, data) :]
                if self.fsync:
                    os.fsync(fd)
            except BaseException:
                # A torn row would swallow the next one (an unclosed quote); cut it off again.
                os.ftruncate(fd, size)
                raise
            if size == 0 and self.fsync:
                self._fsync_directory()  # the new file's name must survive a crash as well
        finally:
            os.close(fd)  # also releases the lock

    def _fsync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[dict[str, str]]:
        """Every flag so far, one dict per row keyed by COLUMNS; [] before the first flag."""
        try:
            file = open(self.path, encoding="utf-8-sig", newline="")
        except FileNotFoundError:
            return []
        with file:
            fcntl.flock(file.fileno(), fcntl.LOCK_SH)  # never read a row still being written
            return list(csv.DictReader(file))
