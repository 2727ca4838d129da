"""A hello that names a turn: the socket follows it again, wherever it runs.

The element names the turn it was following (its id, its key, and the number of the last frame it
applied) when its socket dropped or its page reloaded. This worker's running turn of that id
(conversation/live_turn.py) or the turn log's (conversation/remote_turn.py) then sends the
frames it missed, after the ``welcome`` that says ``resumed``, and the rest as they come. The
session takes the turn as its own: Stop stops it, a submit waits for it, and its messages join
the history when it ends.
"""

from __future__ import annotations

from typing import Any

from ..protocol import frames as protocol
from ..runtime import shutdown
from .live_turn import LiveTurn
from .remote_turn import RemoteTurn
from .session_view import SessionView

Followed = LiveTurn | RemoteTurn


# How long a stopping worker waits for a turn its readers now follow from another worker.
SHUTDOWN_TURN_WAIT = 600.0


def find_turn(session: SessionView, followed: dict[str, Any] | None) -> Followed | None:
    """The turn a hello names (``{"id", "key", "seq"}``), if it can be followed with that key."""
    hub = session.bot.turns
    if followed is None or hub is None:
        return None
    turn_id, key = followed["id"], followed["key"]
    return hub.find(turn_id, key) or RemoteTurn.open(hub.log, turn_id, key, hub.interval, hub.scope)


def follow_turn(session: SessionView, turn: Followed, after: int, welcome: dict[str, Any] | None) -> None:
    """Send ``welcome`` (resumed), then the frames of ``turn`` after ``after``, then the live ones;
    ``turn`` becomes the session's running turn until its ``idle``. No ``welcome``: the socket
    follows a turn another socket of its conversation started (conversation/shared.py)."""
    hub = session.bot.turns
    assert hub is not None  # find_turn found it there
    session.turn.start(turn)  # first: the backlog may end it at once
    session.following = turn
    if isinstance(turn, LiveTurn):
        first = protocol.encode(welcome) if welcome is not None else None
        if turn.follow(session.outbox, after, session.followed_turn_ended, first=first):
            session.adopt_gate(turn.gate)  # one fn at a time: the next turn waits for this one's
            return
        # It ended between the lookup and now: all of it is in the log (or on its way there).
        remote = RemoteTurn.open(hub.log, turn.id, turn.key, hub.interval, hub.scope)
        if remote is None:
            session.turn.end()
            session.following = None
            if welcome is not None:
                session.outbox.send({**welcome, "turn": {"id": turn.id, "resumed": False}})
            return
        session.turn.end()
        session.turn.start(remote)
        session.following = turn = remote
    if welcome is not None:
        session.outbox.send(welcome)
    turn.follow(session.outbox, after, session.followed_turn_ended)


def leave_turn(session: SessionView) -> None:
    """The socket has gone: a turn with a hub runs on for the reader's return (conversation/turns.py);
    one without ends with its socket."""
    following, hub = session.following, session.bot.turns
    if following is None or hub is None:
        session.turn.stop()
        return
    following.leave(session.outbox)
    if isinstance(following, LiveTurn):
        hub.left(following)
        if shutdown.stopping():
            # A deploy: the reader follows it from another worker through the log; this
            # worker lives on until it ends (gunicorn waits for its handlers, up to
            # graceful_timeout).
            following.wait_ended(SHUTDOWN_TURN_WAIT)


__all__ = ["SHUTDOWN_TURN_WAIT", "Followed", "find_turn", "follow_turn", "leave_turn"]
