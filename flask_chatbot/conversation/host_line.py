"""One concurrency group's line and places shared by every worker process of a host.

``concurrency_limit`` counts the fns of a group running in one worker process unless the app
sets ``CHATBOT_QUEUE_SCOPE = "host"``: then :class:`HostLine` keeps the group's line and its
places in a directory that the host's workers share, so a limit of 1 is one fn on the whole
host, and a reader's place counts every worker's waiting turns (docs/options.md, "Queue").

Both are files held with ``flock``, so the kernel is the lease: a worker that dies, however it
dies, lets go of its places and its tickets at once, and the others clean up what it left.

- A **ticket** ``t-<ns>-<pid>-<n>`` is a waiting turn, held (locked) by its worker while it
  waits. Names sort in the order of arrival; a ticket nobody holds is a dead worker's.
- A **place** ``place-<i>.lock``, one per unit of the limit, is held while fn runs.

Only the first ticket may take a free place (first come, first served across workers); the
others look again every :data:`POLL` seconds, or at once when their own worker lets a place go.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# How often a waiting turn looks at the line: a place freed in another worker is taken within this.
POLL = 0.05

_tickets = itertools.count()


class Place:
    """A place held while fn runs; :meth:`release` gives it back (so does the process's death)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


class HostLine:
    """The line and ``limit`` places of one group, in ``directory`` (shared by the host's workers)."""

    def __init__(self, directory: Path, limit: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.limit = limit
        self._freed = threading.Condition()  # a place of this worker was let go: look again now

    def waiting(self) -> int:
        return len(self._tickets())

    def enter(self, cancel: Any, report: Callable[[int, int], None]) -> Place | None:
        """Wait for the first place in the line, then take it; None if ``cancel`` is set first.

        ``report(position, size)`` is called each time the turn's place in the line changes.
        """
        name = f"t-{time.time_ns():020d}-{os.getpid()}-{next(_tickets):09d}"
        # Locked under another name, then renamed into the line: a ticket is never seen unheld.
        ticket = os.open(self.directory / ("new" + name), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(ticket, fcntl.LOCK_EX)  # held while waiting: how the others know it lives
        os.rename(self.directory / ("new" + name), self.directory / name)
        cancel.add_callback(self._wake)
        shown: tuple[int, int] | None = None
        try:
            while not cancel.is_set():
                line = self._tickets()
                position = line.index(name) + 1 if name in line else 1
                if position == 1:
                    place = self._take_place()
                    if place is not None:
                        return place
                if (position, len(line)) != shown:
                    shown = (position, len(line))
                    report(*shown)
                with self._freed:
                    self._freed.wait(POLL)
            return None
        finally:
            (self.directory / name).unlink(missing_ok=True)
            os.close(ticket)

    def leave(self, place: Place) -> None:
        place.release()
        self._wake()

    def all_places_taken(self) -> bool:
        place = self._take_place()
        if place is None:
            return True
        place.release()
        return False

    def _take_place(self) -> Place | None:
        for i in range(self.limit):
            fd = os.open(self.directory / f"place-{i}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            if _try_lock(fd, fcntl.LOCK_EX):
                return Place(fd)
            os.close(fd)
        return None

    def _tickets(self) -> list[str]:
        """The waiting tickets in order of arrival; a dead worker's are removed on the way."""
        live = []
        for name in sorted(n for n in os.listdir(self.directory) if n.startswith("t-")):
            try:
                fd = os.open(self.directory / name, os.O_RDWR)
            except FileNotFoundError:
                continue  # it left while we looked
            try:
                if _try_lock(fd, fcntl.LOCK_SH):  # nobody holds it: its worker died
                    (self.directory / name).unlink(missing_ok=True)
                    continue
            finally:
                os.close(fd)
            live.append(name)
        return live

    def _wake(self) -> None:
        with self._freed:
            self._freed.notify_all()


def _try_lock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


__all__ = ["POLL", "HostLine", "Place"]
