"""A conversation's changes, between the sockets that show it (conversation/channels.py).

After each frame a socket handles, :func:`publish_changes` compares the history with what it was
before the frame and publishes what changed: the messages gone, the messages new or changed (as
the element shows them: rendered once, here), and the turn the frame started, if any. Another
socket of the conversation (:func:`show_changes`) takes the same change into its history, sends
its element the frames that show it (``remove``, ``message``; a ``conversation`` when the order
changed, as a version switch does), and follows the turn as a socket that came back for it does
(conversation/resume.py): the reply streams in every tab.

One turn at a time per conversation: a socket reserves its turn in the turn log before taking its
message (TurnHub.reserve), so a tab that sends while another tab's turn runs is refused (``busy``).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from ..errors import ProtocolError
from ..protocol import frames as protocol
from ..runtime.concurrency import offload
from .history_sync import message_renderer
from .live_turn import LiveTurn
from .remote_turn import RemoteTurn
from .resume import follow_turn
from .session_view import SessionView

log = logging.getLogger("flask_chatbot")
OTHER_TAB_BUSY = "A reply is being written in another tab of this conversation. Send yours once it is done."
# The largest frame a gone socket still gets handled (a typed message: its render costs little).
LAST_WORDS_BYTES = 16 * 1024

#: What a message was before a frame: the dict and the parts a frame may replace in it.
Mark = tuple[dict[str, Any], Any, Any, Any, Any]
_SHOWN = ("html", "status", "title_html")  # what a body has that the history does not keep


def snapshot(session: SessionView) -> list[Mark] | None:
    """The history as it is before a frame (None: the socket shares its conversation with none).
    It holds the objects themselves: a dict or a text replaced since is a change."""
    if session.channel is None:
        return None
    with session.lock:
        return [(m, m["content"], m.get("feedback"), m.get("metadata"), m.get("options")) for m in session.history]


def publish_changes(session: SessionView, before: list[Mark] | None, started_before: Any) -> None:
    """Publish what the frame just handled changed (``before``: :func:`snapshot`'s; ``started_before``:
    the last turn the socket started before it)."""
    hub, channel = session.bot.channels, session.channel
    if before is None or hub is None or channel is None:
        return
    session.answer_wanted = False  # it acts on its conversation: an answer to its joining is stale
    started = session.started if session.started is not started_before else None
    with session.lock:
        # A turn that started (and maybe ended already: a quick fn) comes with its frames, not as messages.
        of_turn = set(started.message_ids) if started is not None else set()
        after = [m for m in session.history if m["id"] not in of_turn]
    event = _changes(before, after)
    if started is not None:
        event = event or {}
        event["turn"] = {"id": started.id, "key": started.key}
    if event is None:
        return
    for field in ("messages", "history"):
        if field in event:
            event[field] = _bodies(session, event[field])
    hub.publish(channel, session, event)


def _bodies(session: SessionView, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` as the element shows them: with the HTML the socket showed its own element,
    else rendered (off the gevent hub); ``feedback`` in each, null when none (the other tab may
    have had some)."""
    render = message_renderer(session.bot.renderer, session.render_content)
    echoed = session.echoed

    def body(message: dict[str, Any]) -> dict[str, Any]:
        html = echoed.get(message["id"])
        if html is not None and not message.get("metadata"):
            return {"feedback": None, **message, "html": html, "status": "done"}
        return {"feedback": None, **render(message)}

    if all(m["id"] in echoed for m in messages):
        return [body(m) for m in messages]
    return offload(lambda: [body(m) for m in messages])


def join_channel(session: SessionView, key: str | None) -> None:
    """Show the session's conversation live with its other sockets: those whose hello brought the
    live ``key``, or a new key (None). A signed-in user's saved conversation has the key every
    device of theirs gets."""
    hub = session.bot.channels
    if hub is None:
        return
    leave_channel(session)
    user = session.saver.user
    session.live_key = hub.owner_key(user, session.id) if user is not None else key or hub.new_key()
    session.channel = hub.join(session.live_key, session)
    session.answer_wanted = True  # until it does anything itself: a later answer would be stale


def reserve_turn(session: SessionView) -> tuple[str, str] | None:
    """The turn a frame of the session is about to start, begun in the log for its conversation
    (conversation/turns.py, ``reserve``); ``busy`` while another tab's turn of it runs."""
    hub = session.bot.turns
    if hub is None or session.channel is None or session.reserved is not None:
        return session.reserved
    try:
        return hub.reserve(session.channel)
    except ValueError:
        raise ProtocolError("busy", OTHER_TAB_BUSY) from None


def release_turn(session: SessionView) -> None:
    """Give up the turn reserved for a frame that was refused after all."""
    if session.reserved is not None and session.bot.turns is not None:
        session.bot.turns.release(session.reserved[0])
    session.reserved = None


def last_words(session: SessionView, raw: str | bytes) -> bool:
    """Whether a frame that came just before its socket went is still worth handling: a message
    (or a retry) whose turn outlives the socket, sent as the page reloaded; the reloaded page
    follows that turn (:func:`catch_up`). Other frames of a gone socket are dropped."""
    if session.bot.turns is None or session.bot.channels is None or len(raw) > LAST_WORDS_BYTES:
        return False
    try:
        kind = json.loads(raw).get("type")
    except (ValueError, AttributeError):
        return False
    return kind in ("submit", "retry")


def catch_up(session: SessionView) -> None:
    """A socket that joined its conversation follows the last turn started in it when its history
    ends with that turn's question and has not got its reply: its page reloaded just after Enter,
    before the turn's first frame came (the hello could not name the turn). The turn started
    within the channel log's minute, on any worker; its starter may be gone. A history that went
    another way (a version switched to, a clear) is left as it is. Call after the ``welcome``: the
    turn's frames may follow at once."""
    hub = session.bot.channels
    if hub is None or session.channel is None or session.turn.running:
        return
    publish_joined(session)  # a socket that runs a turn of the conversation answers (after the welcome)
    if session.turn.running:
        return  # it answered at once (this worker's): the socket follows that turn
    try:
        events = offload(hub.log.recent, session.channel, lane="turn_log")
    except Exception:
        log.exception("Reading a conversation's recent changes failed")
        return
    for text in events:
        event = json.loads(text)
        if "turn" in event and "for" not in event:
            with session.lock:
                last = session.history[-1] if session.history else None
            asked = event.get("messages") or []  # none: a retry, of the question the history ends with
            if last is not None and (last["id"] == asked[-1]["id"] if asked else last["role"] == "user"):
                _follow(session, event["turn"]["id"], event["turn"]["key"], missing_only=True)
            return


def leave_channel(session: SessionView) -> None:
    """Leave the conversation's channel (the socket closed, or it switched conversations)."""
    if session.channel is not None and session.bot.channels is not None:
        session.bot.channels.leave(session.channel, session)
    session.channel = session.live_key = None


def receive(session: SessionView, event: dict[str, Any]) -> None:
    """Another socket of the conversation changed it, or joined it."""
    if not session.alive() or not session.greeted:
        return
    if "joined" in event:
        answer_joiner(session, event["joined"])
    elif "for" not in event:
        show_changes(session, event)
    elif event["for"] == session.token and session.answer_wanted:
        session.answer_wanted = False
        show_changes(session, event)


def publish_joined(session: SessionView) -> None:
    """The socket joined its conversation's channel: one that runs a turn of it answers."""
    if session.bot.channels is not None and session.channel is not None:
        # The turn log's file is the channel log's: without it no turn ever ran here, nobody answers.
        session.bot.channels.publish(session.channel, session, {"joined": session.token}, create=False)


def answer_joiner(session: SessionView, token: str) -> None:
    """A socket joined the conversation while this one runs a turn it started: it gets the
    conversation as this socket has it, and follows the turn from its start."""
    turn, hub = session.following, session.bot.channels
    if hub is None or session.channel is None or not isinstance(turn, LiveTurn) or turn is not session.started:
        return
    if not session.alive():
        return  # a reader who left: the one that joined may be them, back (a reload)
    with session.lock:
        history = list(session.history)
    bodies = _bodies(session, history)
    hub.publish(session.channel, session, {"for": token, "history": bodies, "turn": {"id": turn.id, "key": turn.key}})


def _changes(before: list[Mark], after: list[dict[str, Any]]) -> dict[str, Any] | None:
    was = {mark[0]["id"]: mark for mark in before}
    now_ids = [m["id"] for m in after]
    kept = set(now_ids)
    removed = [mark[0]["id"] for mark in before if mark[0]["id"] not in kept]
    changed = [m for m in after if m["id"] not in was or _changed(was[m["id"]], m)]
    if not removed and not changed:
        return None
    # The element shows a new message at the end: new ones must come after every kept one, in
    # the order they had. Otherwise (a version switched in the middle) the whole conversation goes.
    old_order = [mark[0]["id"] for mark in before if mark[0]["id"] in kept]
    new_order = [i for i in now_ids if i in was]
    first_new = next((n for n, i in enumerate(now_ids) if i not in was), len(now_ids))
    last_kept = max((n for n, i in enumerate(now_ids) if i in was), default=-1)
    if old_order != new_order or first_new < last_kept:
        return {"history": after}
    # Feedback alone needs no new HTML: a `feedback` frame says it.
    feedback = {m["id"]: m.get("feedback") for m in changed if m["id"] in was and _only_feedback(was[m["id"]], m)}
    event: dict[str, Any] = {"removed": removed, "messages": [m for m in changed if m["id"] not in feedback]}
    if feedback:
        event["feedback"] = feedback
    return event


def _only_feedback(mark: Mark, message: dict[str, Any]) -> bool:
    old, content, _feedback, metadata, options = mark
    return content is message["content"] and metadata is message.get("metadata") and options is message.get("options")


def _changed(mark: Mark, message: dict[str, Any]) -> bool:
    old, content, feedback, metadata, options = mark
    return (
        old is not message
        or content is not message["content"]
        or feedback != message.get("feedback")
        or metadata is not message.get("metadata")
        or options is not message.get("options")
    )


def show_changes(session: SessionView, event: dict[str, Any]) -> None:
    """Another socket of the conversation changed it: this one shows the same."""
    if "for" in event and session.turn.running:
        return  # an answer to its joining, but the change that started the turn came first
    if "turn" in event:
        session.answer_wanted = False
    frames: list[dict[str, Any]] = []
    with session.lock:
        if "history" in event:
            session.history = []
            session.remember([_kept(body) for body in event["history"]])
            frames.append(protocol.conversation(event["history"]))
        else:
            gone = set(event.get("removed", ()))
            history = [m for m in session.history if m["id"] not in gone]
            place = {m["id"]: n for n, m in enumerate(history)}
            for body in event.get("messages", ()):
                if body["id"] in place:
                    history[place[body["id"]]] = _kept(body)
                else:
                    history.append(_kept(body))
            for message_id, value in event.get("feedback", {}).items():
                if message_id in place:
                    kept = {k: v for k, v in history[place[message_id]].items() if k != "feedback"}
                    history[place[message_id]] = kept | ({"feedback": value} if value is not None else {})
            session.history = []
            session.remember(history)
            frames += [protocol.remove(message_id) for message_id in event.get("removed", ())]
            frames += [protocol.message(body) for body in event.get("messages", ())]
            frames += [protocol.feedback(i, value) for i, value in event.get("feedback", {}).items() if i in place]
    for frame in frames:
        session.outbox.send(frame)
    turn = event.get("turn")
    if turn is not None and not session.turn.running:
        _follow(session, turn["id"], turn["key"])


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    message = {k: v for k, v in body.items() if k not in _SHOWN and v is not None}
    return message


def _follow(session: SessionView, turn_id: str, key: str, *, missing_only: bool = False) -> None:
    """Follow the turn another socket started, from its first frame: here at once, or through the
    log (a turn another worker runs, looked for off this thread: the channel's reader goes on).
    ``missing_only``: only if the session's history lacks its reply (or it has none yet)."""
    hub = session.bot.turns
    if hub is None:
        return

    def missing(message_ids: list[str]) -> bool:
        with session.lock:
            have = {m["id"] for m in session.history}
        return not message_ids or not set(message_ids) <= have

    def follow(turn: Any) -> None:
        if session.turn.running:
            return  # it follows one already (two changes named the same turn)
        if not missing_only or missing(turn.message_ids):
            follow_turn(session, turn, 0, None)

    live = hub.find(turn_id, key)
    if live is not None and live.status is None:
        follow(live)
        return

    def remote() -> None:
        turn = RemoteTurn.open(hub.log, turn_id, key, hub.interval, hub.scope)
        if turn is not None and session.alive() and not session.turn.running:
            follow(turn)

    threading.Thread(target=remote, name="flask_chatbot.follow", daemon=True).start()


__all__ = ["catch_up", "join_channel", "leave_channel", "publish_changes", "receive", "snapshot"]
