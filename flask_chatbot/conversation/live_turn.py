"""A turn that outlives its socket, in the worker that runs it.

A reply (conversation/reply.py) sends its frames here rather than to a socket. Each frame gets
the next number of its turn (``seq``, from 1: the ``turn`` frame that names it), is kept for
the turn's life, and goes to every socket that follows the turn: the one that started it, and
any that came back for it (a reload, a reconnect) with the number of the last frame it applied,
which first gets the frames it missed. Nothing is lost or shown twice, whichever socket is open.
The turn's hub (conversation/turns.py) writes the frames to the turn log for followers on
other workers, and decides what happens while nobody follows.

Frames are kept as the JSON they are sent as: encoded once, whatever the number of followers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..protocol import frames as protocol
from .fn_queue import FnGate


class Stoppable(Protocol):
    def stop(self) -> None: ...


class RunningReply(Stoppable, Protocol):
    def interrupt(self, why: str) -> None: ...

    @property
    def waiting(self) -> bool:
        """Still waiting for its fn to start (in its concurrency group's line, or behind the last fn)."""


class FrameReader(Protocol):
    """A socket that follows a turn: its Outbox."""

    def send_text(self, text: str) -> bool: ...


#: Called with the turn's messages (for the history) once its last frame was sent.
OnEnd = Callable[[list[dict[str, Any]]], None]


@dataclass(eq=False)
class _Follower:
    reader: FrameReader
    on_end: OnEnd | None


class LiveTurn:
    """One reply's frames in this worker: numbered, kept, sent to every follower.

    It is the reply's FrameSink: ``send(frame)`` numbers, encodes and fans out a frame. The
    reply never sees a closed sink: with every reader gone it runs on, and the hub stops it
    when the conversation's ``on_disconnect`` policy says so.
    """

    closed = False  # FrameSink

    def __init__(self, turn_id: str, key: str, gate: FnGate) -> None:
        self.id = turn_id
        self.key = key  # the secret a hello must show to follow this turn
        self.gate = gate  # the conversation's: a follower's next turn waits for this one's fn
        self.reply: RunningReply | None = None
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._texts: list[str] = []  # frame seq is at index seq - 1
        self._saved = 0  # the frames before this index are in the log
        self._followers: list[_Follower] = []
        self._message_ids: list[str] = []
        self._messages: list[dict[str, Any]] | None = None  # the reply's, for the history, once it ended
        self.status: str | None = None  # how it ended, once its last frame (idle) was sent
        self._outcome = "done"  # how it is ending, from its frames so far
        self.left_at: float | None = time.time()  # when its last follower left (None: followed)
        self.watched_until = 0.0  # a follower on another worker reads it until then (the hub hears it from the log)
        self._ended = threading.Event()
        self.send(protocol.turn(turn_id, key))

    # -- the reply's side ---------------------------------------------------------------

    def send(self, frame: dict[str, Any]) -> bool:
        """Number ``frame``, keep it and send it to every follower (a slow one slows the reply:
        its emitter then coalesces, so nothing here grows faster than the turn's own frames)."""
        kind = frame["type"]
        if kind == "idle":
            self._end()  # before the idle goes: a reader that sees it may submit at once
        # Two locks: _sending keeps the frames in order on every socket (and a new follower's
        # backlog before them); _lock guards the state only, never across a socket's send, so a
        # socket that stops reading holds up this turn's replies, not the hub that logs every turn.
        with self._sending:
            with self._lock:
                text = protocol.encode({**frame, "seq": len(self._texts) + 1})
                self._texts.append(text)
                if kind == "message":
                    self._message_ids.append(frame["message"]["id"])
                elif kind == "done" and frame["status"] != "done":
                    self._outcome = frame["status"]
                elif kind == "error" and frame.get("code") in ("fn_error", "interrupted"):
                    self._outcome = "error" if frame["code"] == "fn_error" else "interrupted"
                if kind == "idle":  # the turn's last frame
                    self._ended.set()
                followers = list(self._followers)
            for follower in followers:
                if not follower.reader.send_text(text):
                    self.leave(follower.reader)
        return True

    def _end(self) -> None:
        """The turn ends: no one follows it from now on, and each follower's session takes its messages."""
        with self._lock:
            self.status = self._outcome
            followers = list(self._followers)
        messages = self._messages or []
        for follower in followers:
            if follower.on_end is not None:
                follower.on_end(messages)

    def finished(self, messages: list[dict[str, Any]]) -> None:
        """The reply's messages as the history keeps them (called just before its ``idle``)."""
        self._messages = messages

    def stop(self) -> None:
        """The reader's Stop (from any of its sockets, or from another worker's through the log)."""
        if self.reply is not None:
            self.reply.stop()

    def interrupt(self, why: str) -> None:
        """Stopped by the server, not the reader: the reply ends cut off (reply.py's ``interrupt``)."""
        if self.reply is not None:
            self.reply.interrupt(why)

    # -- followers ---------------------------------------------------------------------

    def follow(self, reader: FrameReader, after: int, on_end: OnEnd | None = None, first: str | None = None) -> bool:
        """``reader`` follows the turn from the frame after ``after``: ``first`` (its welcome),
        those it missed, then the rest as they come. False when the turn has ended (the log
        has it all)."""
        with self._sending:  # no frame goes out meanwhile: the backlog, then the live frames
            with self._lock:
                if self.status is not None:
                    return False
                self._followers.append(_Follower(reader, on_end))
                self.left_at = None
                missed = self._texts[max(after, 0) :]
            for text in [first, *missed] if first is not None else missed:
                if not reader.send_text(text):
                    self.leave(reader)
                    break
            return True

    def leave(self, reader: FrameReader) -> None:
        """``reader`` follows no more (its socket closed)."""
        with self._lock:
            for follower in self._followers:
                if follower.reader is reader:
                    self._drop(follower)
                    break

    def _drop(self, follower: _Follower) -> None:
        if follower in self._followers:
            self._followers.remove(follower)
            if not self._followers:
                self.left_at = time.time()

    def taken_over(self) -> bool:
        """Whether a socket that came back for it follows it (here, or on another worker): the
        conversation is that socket's now, the starter's copy of it is out of date."""
        with self._lock:
            here = any(follower.on_end is not None for follower in self._followers)
        return here or time.time() < self.watched_until

    @property
    def message_ids(self) -> list[str]:
        """The ids of the messages this turn has shown (a resuming hello's copies of them are the turn's)."""
        with self._lock:
            return list(self._message_ids)

    # -- the hub's side ----------------------------------------------------------------

    def unsaved(self) -> tuple[list[str], str | None]:
        """The frames not yet in the log, and how the turn ended if they include its last."""
        with self._lock:
            texts = self._texts[self._saved :]
            self._saved = len(self._texts)
            return texts, self.status if self._ended.is_set() else None  # ended: its idle is among them

    def wait_ended(self, timeout: float | None = None) -> bool:
        return self._ended.wait(timeout)


__all__ = ["FrameReader", "LiveTurn", "OnEnd", "RunningReply", "Stoppable"]
