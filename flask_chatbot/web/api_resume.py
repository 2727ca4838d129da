"""A program's turn that outlives its request, as a page's outlives its socket.

A call of the HTTP API runs its reply in a turn of the chat's turn hub (conversation/turns.py),
under a hub of its own (``<chat>:api``: a socket cannot follow a program's turn, nor a program a
page's). The request follows the turn as a socket does: every frame is numbered, and each
Server-Sent Event carries ``id: <key>:<seq>`` (``.<n>`` for a frame's second event and on). A
client whose connection dropped sends the request again with ``Last-Event-ID``; it gets the
events after that one, from whichever worker of the host it reaches (the turn log), then the
rest as they come. The key is the turn's secret: the id alone is not enough to follow it, nor
to stop it (``DELETE`` with the same header). docs/api.md, "Resuming a stream".

With ``on_disconnect="cancel"`` there is no hub: a reply ends with its request, as in Gradio.
"""

from __future__ import annotations

import json
import queue
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..conversation.fn_queue import FnGate
from ..conversation.live_turn import LiveTurn
from ..conversation.outbox import FrameSink
from ..conversation.remote_turn import RemoteTurn
from ..conversation.transcript import Transcript
from ..conversation.turns import TurnHub, turn_id_for
from .api_turn import FrameQueue

# <key>:<seq>[.<n>]: the key is 32 hex digits (conversation/turns.py), n the event's index among its frame's.
EVENT_ID = re.compile(r"([0-9a-f]{32}):([0-9]{1,9})(?:\.([0-9]{1,3}))?")

#: Where a stream is: (seq, n) of the last event the client has, (0, -1) for none.
Position = tuple[int, int]
START: Position = (0, -1)


def parse_event_id(value: str) -> tuple[str, Position] | None:
    """The key and position an SSE ``Last-Event-ID`` names, or None if it is not one of ours."""
    match = EVENT_ID.fullmatch(value.strip())
    if match is None:
        return None
    return match[1], (int(match[2]), int(match[3] or 0))


def event_id(key: str, seq: int, n: int) -> str:
    return f"{key}:{seq}" if n == 0 else f"{key}:{seq}.{n}"


class Recording:
    """A FrameSink that keeps, in the runner, the reply its frames build (for the session it
    saves and the answer it sends, once fn has ended) and passes them on."""

    def __init__(self, sink: FrameSink) -> None:
        self._sink = sink
        self.transcript = Transcript()

    @property
    def closed(self) -> bool:
        return self._sink.closed

    @closed.setter
    def closed(self, value: bool) -> None:
        self._sink.closed = value

    def send(self, frame: dict[str, Any]) -> bool:
        self.transcript.apply(frame)
        return self._sink.send(frame)


class TextQueue:
    """A request that follows a turn (a FrameReader): the turn's frames, in order, as they come.
    It holds at most the turn's frames, which the turn keeps anyway."""

    def __init__(self) -> None:
        self._texts: queue.Queue[str] = queue.Queue()
        self.closed = False

    def send_text(self, text: str) -> bool:
        if self.closed:
            return False
        self._texts.put(text)
        return True

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            frame = json.loads(self._texts.get())
            yield frame
            if frame["type"] == "idle":
                return


@dataclass
class Following:
    """A request's view of a turn: its frames from the first, and how to stop following."""

    key: str | None  # None: not resumable (no hub)
    frames: Iterator[dict[str, Any]]
    leave: Callable[[], None]


class ApiTurns:
    """The turns of a chat's API calls in this worker, resumable when the chat has a turn hub."""

    def __init__(self, chat_hub: TurnHub | None) -> None:
        self.hub = (
            TurnHub(
                chat_hub.log,
                scope=f"{chat_hub.scope}:api",
                interval=chat_hub.interval,
                resume_window=chat_hub.resume_window,
                continue_alone=chat_hub.continue_alone,
            )
            if chat_hub is not None
            else None
        )

    def start(self, gate: FnGate) -> LiveTurn | FrameQueue:
        """Where a new call's reply sends its frames: a turn of the hub, or the request's queue."""
        return self.hub.start(gate) if self.hub is not None else FrameQueue()

    def follow_started(self, sink: LiveTurn | FrameQueue, stop: Callable[[], None]) -> Following:
        """The request that started the turn follows it (``stop``: the reply's, for a request that
        leaves a turn nobody can resume)."""
        if isinstance(sink, FrameQueue):

            def gone() -> None:
                sink.closed = True
                stop()

            return Following(None, iter(sink), gone)
        following = self._follow_live(sink)
        assert following is not None  # it has not started: it cannot have ended
        return following

    def follow(self, key: str) -> Following | None:
        """A request that came back with ``Last-Event-ID`` follows the turn of ``key`` from its
        first frame (here, or through the log); None if no turn of this chat has that key."""
        if self.hub is None:
            return None
        turn = self.hub.find_by_key(key)
        if turn is not None and (following := self._follow_live(turn)) is not None:
            return following
        remote = self._open_remote(key)  # another worker's, or one that ended (its frames are in the log)
        if remote is None:
            return None
        reader = TextQueue()
        remote.follow(reader, 0, lambda messages: None)

        def gone() -> None:
            reader.closed = True
            remote.leave(reader)

        return Following(key, iter(reader), gone)

    def stop(self, key: str) -> bool:
        """Stop the turn of ``key`` at fn's next yield, in whichever worker runs it."""
        if self.hub is None:
            return False
        turn = self.hub.find_by_key(key)
        if turn is not None:
            turn.stop()
            return True
        remote = self._open_remote(key)
        if remote is None:
            return False
        remote.stop()
        return True

    def _follow_live(self, turn: LiveTurn) -> Following | None:
        reader = TextQueue()
        if not turn.follow(reader, 0):
            return None  # it has ended: the log has it

        def gone() -> None:
            reader.closed = True
            turn.leave(reader)
            assert self.hub is not None
            self.hub.left(turn)  # nobody left to read it: a turn still in line gives its place up

        return Following(turn.key, iter(reader), gone)

    def _open_remote(self, key: str) -> RemoteTurn | None:
        assert self.hub is not None
        turn_id = turn_id_for(key)
        return RemoteTurn.open(self.hub.log, turn_id, key, self.hub.interval, self.hub.scope)


__all__ = ["START", "ApiTurns", "Following", "Position", "Recording", "event_id", "parse_event_id"]
