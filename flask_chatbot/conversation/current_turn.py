"""The reply a conversation is running, if any: the one owner of that state.

Several threads act on it: the receive loop starts a reply and stops it (Stop, a socket that
ends), the worker's shutdown stops it from the signal's thread, a clear gives up its messages,
and the reply's emitter thread ends it. Each goes through :class:`CurrentTurn`, under one lock,
so none sees a reply that another has just cleared.

What a clear says of a reply (its end must not bring the cleared conversation back) belongs to
that reply: it goes with the reply when it ends, and never drops the next reply's messages.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Stoppable(Protocol):
    def stop(self) -> None: ...


class CurrentTurn:
    """The conversation's running reply (at most one), and its lifecycle:
    ``start`` → (``stop`` | ``discard``)* → ``end``.

        turn.start(reply)     # the receive loop, after checking ``running``
        turn.stop()           # Stop, the socket's end, the worker's shutdown: any thread
        turn.discard()        # clear: the reply stops, and its messages leave the history
        keep = turn.end()     # the reply's emitter, once: whether its messages join the history
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reply: Stoppable | None = None
        self._discarded = False

    @property
    def running(self) -> bool:
        """Whether a reply runs: the conversation is busy until it ends."""
        return self._reply is not None

    def start(self, reply: Stoppable) -> None:
        with self._lock:
            if self._reply is not None:
                raise RuntimeError("a reply is already running in this conversation")
            self._reply, self._discarded = reply, False

    def stop(self) -> None:
        """Stop the running reply, if any (its partial reply is kept)."""
        with self._lock:
            reply = self._reply
        if reply is not None:
            reply.stop()  # outside the lock: it may wake the emitter, which ends the turn

    def discard(self) -> None:
        """Stop the running reply, if any, and keep its messages out of the history."""
        with self._lock:
            reply = self._reply
            self._discarded = reply is not None
        if reply is not None:
            reply.stop()

    def end(self) -> bool:
        """The running reply has ended: the conversation is free again. True when its messages
        belong in the history (no clear gave them up)."""
        with self._lock:
            keep = self._reply is not None and not self._discarded
            self._reply, self._discarded = None, False
            return keep


__all__ = ["CurrentTurn"]
