"""Who may run fn when: one fn at a time per conversation (:class:`FnGate`), and the
concurrency limit (:class:`FnQueue`): how many fns of a group run at once in this worker, and
the line of the turns that wait (gr.ChatInterface's ``concurrency_limit`` and ``concurrency_id``).

Each blueprint is a group of its own unless ``concurrency_id`` names a group that others
share; the lowest limit any member sets is the group's (Gradio's rule). A turn that finds
the group full waits its turn, first come first served, and hears its place in the line
and an estimate of its wait from the group's recent run times; Stop takes it out of the line
at once, and so does its reader going away (after a few seconds when its turn outlives its
socket: conversation/turns.py). A line of ``max_size`` turns refuses more with
``queue_full`` before the message enters the conversation.

The line lives in one worker process: with several workers, each runs up to the limit
(docs/options.md, "Queue"), unless the app sets ``CHATBOT_QUEUE_SCOPE = "host"``: then the
group's line and places are shared by the host's workers (:mod:`flask_chatbot.conversation.host_line`).
Nothing here touches the network: the caller is told what to show through ``report`` and
sends it outside the lock.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import OptionsError
from .client_share import ClientShare
from .host_line import HostLine, Place

#: The line's size when the app sets none (CHATBOT_MAX_QUEUE_SIZE): turns waiting in one group.
DEFAULT_MAX_QUEUE_SIZE = 100
#: Turns one client may have running or waiting in one group (CHATBOT_MAX_TURNS_PER_CLIENT).
DEFAULT_MAX_TURNS_PER_CLIENT = 3

# How quickly the estimate follows a change in how long fn takes: the weight of the newest run.
_NEWEST_RUN_WEIGHT = 0.3


class FnGate:
    """One fn at a time per conversation; a waiting turn that is stopped stops waiting."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._when_free: list[Callable[[], None]] = []

    def enter(self, cancel: Any) -> bool:
        """Wait until no fn of this conversation runs; False if cancelled first."""
        with self._cond:
            cancel.add_callback(self._wake)
            while self._busy and not cancel.is_set():
                self._cond.wait()
            if cancel.is_set():
                return False
            self._busy = True
            return True

    def leave(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()
            then, self._when_free = self._when_free, []
        for action in then:
            action()

    def when_free(self, action: Callable[[], None]) -> None:
        """Run ``action`` once no fn of this conversation runs: now, or when the running one ends
        (a stopped plain fn runs on until it returns, and holds its place in line meanwhile)."""
        with self._cond:
            if self._busy:
                self._when_free.append(action)
                return
        action()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


class FnQueue:
    """One concurrency group in this worker: its limit, the turns running and those waiting."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.limit: int | None = None  # None: no limit (until a member sets one)
        self.max_size: int | None = None  # the most turns that may wait; None: no bound
        self._cond = threading.Condition()
        self._running = 0
        self._line: list[int] = []  # the waiting turns' numbers, in order of arrival
        self._numbers = itertools.count()
        self._mean_run: float | None = None  # seconds, a moving average of recent runs
        self._host: HostLine | None = None  # the line shared by the host's workers, when the app asks
        self._share = ClientShare(None)  # each client's share of the line (conversation/client_share.py)

    def configure(
        self, limit: int | None, max_size: int | None, host_dir: Path | None = None, per_client: int | None = None
    ) -> None:
        """A member's settings: the lowest limit, max_size and per_client win. With ``host_dir``
        the line, the places and the clients' shares are those of every worker of the host."""
        with self._cond:
            if limit is not None:
                self.limit = limit if self.limit is None else min(self.limit, limit)
            if max_size is not None:
                self.max_size = max_size if self.max_size is None else min(self.max_size, max_size)
            if host_dir is not None and self.limit is not None:
                self._host = HostLine(host_dir / self.name, self.limit)
            if self.limit is not None and per_client is not None:  # without a limit there is no line to share
                share = per_client if self._share.limit is None else min(self._share.limit, per_client)
                self._share = ClientShare(share, host_dir / self.name if host_dir is not None else None)
            self._cond.notify_all()  # a higher limit than before lets waiting turns in

    def claim(self, client: str, holder: Any) -> bool:
        """Count a turn of ``client`` (held by ``holder`` until :meth:`release`); False when the
        client already has its share of turns running or waiting in this group."""
        return self._share.claim(client, holder)

    def release(self, holder: Any) -> None:
        self._share.release(holder)

    @property
    def waiting(self) -> int:
        return self._host.waiting() if self._host else len(self._line)

    def full(self) -> bool:
        """True when a new turn would have to wait and the line is already at max_size."""
        if self._host is not None:
            if self.max_size is None:
                return False
            waiting = self._host.waiting()
            return waiting >= self.max_size and (waiting > 0 or self._host.all_places_taken())
        with self._cond:
            return (
                self.max_size is not None
                and self.limit is not None
                and self._running >= self.limit
                and len(self._line) >= self.max_size
            )

    def enter(self, cancel: Any, report: Callable[[int, int, float | None], None]) -> Place | bool:
        """Wait for a free place, then take it (truthy, for :meth:`leave`); False (and out of
        the line) if ``cancel`` is set first.

        ``report(position, size, eta)`` is called (without the lock) each time the turn's place
        in the line changes: 1-based, out of ``size`` waiting, ``eta`` seconds or None.
        """
        if self._host is not None:
            return (
                self._host.enter(cancel, lambda position, size: report(position, size, self._estimate(position)))
                or False
            )
        with self._cond:
            if self.limit is None or (self._running < self.limit and not self._line):
                self._running += 1
                return True
            number = next(self._numbers)
            self._line.append(number)
            self._cond.notify_all()  # the line grew: those ahead show the new size
            cancel.add_callback(self._wake)
        shown: tuple[int, int] | None = None
        try:
            while True:
                with self._cond:
                    while True:
                        if cancel.is_set():
                            return False
                        position = bisect.bisect_left(self._line, number) + 1
                        if position == 1 and (self.limit is None or self._running < self.limit):
                            self._line.pop(0)
                            self._running += 1
                            self._cond.notify_all()  # the next in line may fit too, and every place moved
                            return True
                        if (position, len(self._line)) != shown:
                            break
                        self._cond.wait()
                    shown = (position, len(self._line))
                    eta = self._estimate(position)
                report(position, shown[1], eta)
        finally:
            with self._cond:
                index = bisect.bisect_left(self._line, number)
                if index < len(self._line) and self._line[index] == number:
                    del self._line[index]  # stopped while waiting: the others move up
                    self._cond.notify_all()

    def leave(self, place: Place | bool, seconds: float) -> None:
        """A turn that entered (and got ``place``) has ended after running ``seconds``."""
        if isinstance(place, Place) and self._host is not None:
            self._host.leave(place)
        with self._cond:
            if not isinstance(place, Place):
                self._running -= 1
            if self._mean_run is None:
                self._mean_run = seconds
            else:
                self._mean_run += _NEWEST_RUN_WEIGHT * (seconds - self._mean_run)
            self._cond.notify_all()

    def _estimate(self, position: int) -> float | None:
        """Seconds until the turn at ``position`` runs: the runs ahead of it, at the recent
        mean time per run, shared among ``limit`` places. Call with the lock."""
        if self._mean_run is None or not self.limit:
            return None
        return math.ceil(position / self.limit) * self._mean_run

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


_groups: dict[str, FnQueue] = {}
_groups_lock = threading.Lock()


def group(concurrency_id: str | None, blueprint: str) -> FnQueue:
    """The group named ``concurrency_id`` in this process (made on first use), or a new one of
    the blueprint's own when None (named after it, so that every worker of the app names it
    alike: the name of its line shared by the host's workers)."""
    if concurrency_id is None:
        return FnQueue(f"blueprint-{blueprint}")
    with _groups_lock:
        return _groups.setdefault(concurrency_id, FnQueue(concurrency_id))


def app_limits(limit: Any, config: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The limit and line size a blueprint's group gets in an app: concurrency_limit="default"
    takes ``CHATBOT_DEFAULT_CONCURRENCY_LIMIT`` (None, no limit, when unset) and the line
    ``CHATBOT_MAX_QUEUE_SIZE`` (:data:`DEFAULT_MAX_QUEUE_SIZE` when unset; None: no bound)."""
    if limit == "default":
        limit = config.get("CHATBOT_DEFAULT_CONCURRENCY_LIMIT")
    max_size = config.get("CHATBOT_MAX_QUEUE_SIZE", DEFAULT_MAX_QUEUE_SIZE)
    for name, value in (("CHATBOT_DEFAULT_CONCURRENCY_LIMIT", limit), ("CHATBOT_MAX_QUEUE_SIZE", max_size)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < (1 if "LIMIT" in name else 0)
        ):
            raise OptionsError(f"app.config[{name!r}] must be a whole number or None, not {value!r}")
    return limit, max_size


def client_limit(config: Mapping[str, Any]) -> int | None:
    """``CHATBOT_MAX_TURNS_PER_CLIENT``: turns one client may have running or waiting in a group
    (:data:`DEFAULT_MAX_TURNS_PER_CLIENT` when unset; None: no share)."""
    value = config.get("CHATBOT_MAX_TURNS_PER_CLIENT", DEFAULT_MAX_TURNS_PER_CLIENT)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise OptionsError(
            f"app.config['CHATBOT_MAX_TURNS_PER_CLIENT'] must be a whole number of at least 1 or None, not {value!r}"
        )
    return value


def host_dir(app: Any) -> Path | None:
    """Where the app's lines live when ``CHATBOT_QUEUE_SCOPE`` is ``"host"`` (the app's
    ``CHATBOT_QUEUE_DIR``, else ``queues/`` in its instance folder); None for ``"worker"``."""
    scope = app.config.get("CHATBOT_QUEUE_SCOPE", "worker")
    if scope not in ("worker", "host"):
        raise OptionsError(f"app.config['CHATBOT_QUEUE_SCOPE'] must be 'worker' or 'host', not {scope!r}")
    if scope == "worker":
        return None
    return Path(app.config.get("CHATBOT_QUEUE_DIR") or Path(app.instance_path) / "queues")


__all__ = [
    "DEFAULT_MAX_QUEUE_SIZE",
    "DEFAULT_MAX_TURNS_PER_CLIENT",
    "FnGate",
    "FnQueue",
    "app_limits",
    "client_limit",
    "group",
    "host_dir",
]
