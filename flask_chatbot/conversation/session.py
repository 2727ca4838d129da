"""One WebSocket conversation: the receive loop, dispatch of frames, and the history."""

from __future__ import annotations

import copy
import functools
import logging
import secrets
import threading
import time
from typing import Any

from flask import has_request_context, request

from ..content.messages import normalize_reply
from ..errors import ProtocolError
from ..files.uploads import new_upload_key, owner_of
from ..options.inputs import default as default_input
from ..options.inputs import parse_values
from ..options.outputs import Outputs, render_output
from ..protocol import frames as protocol
from ..runtime import shutdown
from ..runtime.concurrency import Gone, offload, render
from .actions import Actions
from .bot import Bot
from .client_share import SHARE_FULL, TurnClaims, client_key
from .current_turn import CurrentTurn
from .fn_queue import FnGate
from .history_sync import ConversationSaver, current_user
from .inbox import FrameBudget, InboxEvent
from .live_turn import LiveTurn
from .outbox import Outbox
from .reply import Reply
from .request_context import capture
from .resent import messages_from_client, take_hello
from .resume import Followed, leave_turn
from .shared import last_words, leave_channel, publish_changes, receive, release_turn, reserve_turn, snapshot
from .submit import submit
from .validation import refusal

log = logging.getLogger("flask_chatbot")
IDLE_CLOSE_CODE = 4000
CLOSE_WAIT = 2.0  # seconds a closing socket waits for the peer's close reply
HELLO_TIMEOUT_CLOSE_CODE = 4001
# Frames above this size are parsed off the gevent hub (concurrency.offload); below it
# the hand-off would cost more than the work.
OFFLOAD_FRAME_BYTES = 64 * 1024
SERVER_ERROR = "server_error"
SERVER_ERROR_TEXT = "Something went wrong on the server. Please try again."
ECHOED = 64  # messages whose HTML a socket keeps for its other tabs
QUEUE_FULL = "The chat is busy: too many people are waiting. Please try again in a moment."


class ChatSession:
    """Serves one socket until it closes. The history lives here for the socket's life;
    the element resends it in ``hello`` on every connection (docs/protocol.md)."""

    def __init__(self, ws: Any, bot: Bot, files_base: str = "/files/") -> None:
        self.ws = ws
        self.bot = bot
        hooks = bot.content
        self._normalize = functools.partial(
            normalize_reply,
            to_content=hooks.to_content if hooks else None,
            reasoning_tags=bot.options.reasoning_tags,
        )
        self.render_content = hooks.renderer(files_base) if hooks else None
        self.outbox = Outbox(ws)
        # The handshake's request, session and g, for fn on its own thread (conversation/request_context.py).
        self._request_context = capture()
        self.id = secrets.token_hex(8)
        # Names this conversation's uploads (files/uploads.py); a reconnect's hello brings it back.
        self.upload_key = ""
        if bot.options.multimodal:
            assert hooks is not None  # chat_bp gives every Bot its content hooks (the file store)
            self.upload_key = new_upload_key(hooks.store)
        self.history: list[dict[str, Any]] = []
        self.system_messages: list[dict[str, Any]] = []
        self.actions = Actions(self)
        # The additional inputs' values of the last message (each frame that runs fn sends them).
        self.inputs: list[Any] = [default_input(c) for c in bot.options.additional_inputs]
        self.turn = CurrentTurn()  # the reply running, if any (conversation/current_turn.py)
        self.greeted = False
        self.lock = threading.Lock()
        user = current_user(bot.history_user)
        self.saver = ConversationSaver(bot.options.history_store, user)
        client = client_key(user, request.remote_addr if has_request_context() else None)
        self._gate = FnGate()
        self._client = client
        self.claims = TurnClaims(bot.queue, client, self._gate)
        self.following: Followed | None = None  # the turn whose frames this socket gets (conversation/resume.py)
        self.started: LiveTurn | None = None  # the last turn this socket started
        # The conversation's other sockets (conversation/channels.py): its channel, and the key naming it.
        self.channel: str | None = None
        self.live_key: str | None = None
        self.token = secrets.token_hex(8)  # this socket, in the events of its channel
        self.answer_wanted = False  # conversation/shared.py
        self.reserved: tuple[str, str] | None = None  # a turn begun in the log by check_room, to start
        # The HTML of the last messages this socket showed outside a turn (its reader's, an edit),
        # by id: its other tabs get the same without a second render (conversation/shared.py).
        self.echoed: dict[str, str] = {}
        self.budget = FrameBudget(bot.options.max_frames_per_second)
        self._inbox = ws.event if isinstance(getattr(ws, "event", None), InboxEvent) else None
        if self._inbox is not None:
            self._inbox.bind(ws.input_buffer)

    def serve(self) -> None:
        opts = self.bot.options
        if not shutdown.track(self):  # accepted while the worker stops: off to another one
            self._close(shutdown.CLOSE_RESTART, "server restart")
            return
        try:
            if not self._receive_hello(opts.hello_timeout):
                return
            while True:
                raw = self._receive(opts.idle_timeout)
                if not self.ws.connected:  # frames left in the buffer of a socket that is gone: dropped,
                    if raw is not None and last_words(self, raw):  # but a message sent just before a reload
                        self.handle(raw)
                    return
                if raw is None:  # nothing received for idle_timeout seconds
                    if not self.turn.running:
                        self._close(IDLE_CLOSE_CODE, "idle")
                        return
                    continue
                self.handle(raw)
        finally:
            shutdown.forget(self)
            if self._inbox is not None:
                self._inbox.release()
            leave_channel(self)
            leave_turn(self)

    def alive(self) -> bool:
        """Whether the socket is still open: work queued for it is dropped once it is not."""
        return bool(self.ws.connected)

    def shut_down(self) -> None:
        """The worker is stopping (called from another thread): close with 1012, "service restart",
        then stop the reply, whose `done` ("stopped") sent first would look like the reader's Stop."""
        self.ws.close(shutdown.CLOSE_RESTART, "server restart")
        if self.following is None:  # a turn in the log runs on: its reader follows it elsewhere
            self.turn.stop()

    def _receive_hello(self, timeout: float) -> bool:
        """A socket that has not said hello within ``timeout`` seconds is closed (4001):
        a handshake alone must not hold a connection for long."""
        deadline = time.monotonic() + timeout
        while not self.greeted:
            raw = self._receive(max(deadline - time.monotonic(), 0.001))
            if raw is None:
                self._close(HELLO_TIMEOUT_CLOSE_CODE, "hello timeout")
                return False
            self.handle(raw)
        return True

    def _close(self, code: int, reason: str) -> None:
        """Close the socket and give the peer a moment to answer. simple-websocket's reader
        is still reading the socket; returning while it does lets the server's connection
        handler read the same socket (under gevent, two greenlets on one socket fail)."""
        self.ws.close(code, reason)
        reader = getattr(self.ws, "thread", None)
        if reader is not None:
            reader.join(CLOSE_WAIT)

    def _receive(self, timeout: float | None) -> str | bytes | None:
        raw: str | bytes | None = self.ws.receive(timeout=timeout)
        if self._inbox is not None:
            self._inbox.taken()
        if raw is not None:
            wait = self.budget.delay(len(raw))
            if wait:  # over its rate: this socket is not read meanwhile (backpressure)
                time.sleep(wait)
        return raw

    def handle(self, raw: str | bytes) -> None:
        try:
            max_bytes = self.bot.options.max_frame_bytes
            if len(raw) > OFFLOAD_FRAME_BYTES:
                frame = offload(protocol.parse_client_frame, raw, max_bytes, alive=self.alive)
            else:
                frame = protocol.parse_client_frame(raw, max_bytes)
            if frame["type"] != "hello" and not self.greeted:
                raise ProtocolError("hello_required", "send a hello frame first")
            before, started, channel = snapshot(self), self.started, self.channel
            getattr(self, f"_on_{frame['type']}")(frame)
            if channel is not None and channel == self.channel:  # not a hello that joined it
                publish_changes(self, before, started)
            self.saver.save(self)  # the history store keeps what changed (conversation/history_sync.py)
        except ProtocolError as exc:
            self.outbox.send(protocol.error(exc.code, exc.message))
        except Gone:  # its socket closed while the frame's work waited in line: nobody to answer
            pass
        except Exception:
            # A bug or a failing disk must cost this frame, not the connection (which would
            # otherwise end with an HTTP 500 written into the WebSocket stream).
            log.exception("Handling a frame failed")
            self.outbox.send(protocol.error(SERVER_ERROR, SERVER_ERROR_TEXT))
        finally:
            self.claims.frame_done()  # a claim no turn took (refused, replayed from the cache)
            release_turn(self)  # a turn reserved, not started

    # -- frames ----------------------------------------------------------------------

    def _on_hello(self, frame: dict[str, Any]) -> None:
        take_hello(self, frame)

    @property
    def upload_owner(self) -> str:
        """What the store records as the owner of this conversation's uploads."""
        return owner_of(self.upload_key)

    def from_client(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Messages the element sent (in hello) as the server keeps them (conversation/resent.py)."""
        return messages_from_client(self, messages)

    def read_inputs(self, frame: dict[str, Any]) -> list[Any]:
        """The inputs' values a frame brings (none: the last message's), the session's once its message is taken."""
        if "inputs" not in frame:
            return self.inputs
        try:
            return parse_values(self.bot.options.additional_inputs, frame["inputs"])
        except ValueError as exc:
            raise ProtocolError("invalid", str(exc)) from None

    def check_text(
        self,
        text: str,
        what: str,
        inputs: list[Any],
        validated: bool = True,
        value: Any = None,
        has_files: bool = False,
    ) -> None:
        """A message the reader typed (submit, edit): not empty (unless it carries files), not over
        max_message_chars, and (``validated``: theirs, not a reply they corrected) accepted by the
        validator, which gets ``value`` (default: the text) and ``inputs``; else code ``invalid``."""
        if not text.strip() and not has_files:
            raise ProtocolError("bad_frame", f"{what}: the message is empty")
        limit = self.bot.options.max_message_chars
        if len(text) > limit:
            raise ProtocolError("too_large", f"the message has {len(text)} characters; the limit is {limit}")
        message = text if value is None else value
        reason = refusal(self.bot.options.validator, message, inputs) if validated else None
        if reason is not None:
            raise ProtocolError("invalid", reason)

    def show_user_message(self, message_id: str, content: str | dict[str, Any]) -> None:
        """Echo a message the reader sent (text, or an uploaded file), rendered: the element
        shows it as the server took it."""
        if isinstance(content, str):
            html = render(self.bot.renderer, content, from_user=True, alive=self.alive, charge=self.budget.charge)
        else:
            assert self.render_content is not None
            html = self.render_content(content)
        self.show({"id": message_id, "role": "user", "content": content, "html": html, "status": "done"})

    def show(self, body: dict[str, Any]) -> None:
        """Send the element a message outside a turn (``body`` as a ``message`` frame has it)."""
        self.echoed[body["id"]] = body["html"]
        while len(self.echoed) > ECHOED:
            del self.echoed[next(iter(self.echoed))]  # the oldest: its tabs have had it
        self.outbox.send(protocol.message(body))

    def _on_submit(self, frame: dict[str, Any]) -> None:
        submit(self, frame, self.actions.option_selected)

    def shared(self, event: dict[str, Any]) -> None:
        """Another socket of this conversation changed it, or joined it (conversation/shared.py)."""
        receive(self, event)

    def adopt_gate(self, gate: FnGate) -> None:
        """Run fn behind ``gate`` from now on: a turn this socket follows again started behind it."""
        self._gate = gate
        self.claims = TurnClaims(self.bot.queue, self._client, gate)

    def followed_turn_ended(self, messages: list[dict[str, Any]]) -> None:
        """A turn this socket followed again ended: its messages join the history (unless cleared)."""
        with self.lock:
            if self.turn.end():
                # The copies of its messages the hello brought, if the turn's frames naming them had
                # not reached this worker's log yet then (remote_turn.py): the server's stand.
                ids = {m["id"] for m in messages}
                self.history = [m for m in self.history if m["id"] not in ids]
                self.remember(messages)
        self.following = None
        self.saver.save(self)

    def check_room(self) -> None:
        """Refuse a turn (before it changes the conversation) when the line of its concurrency group
        is full, or another tab of the conversation runs one (its turn reserved in the log)."""
        if self.bot.queue.full():
            raise ProtocolError("queue_full", QUEUE_FULL)
        if not self.claims.claim():  # the client's share of the line (conversation/client_share.py)
            raise ProtocolError("queue_full", SHARE_FULL)
        self.reserved = reserve_turn(self)  # one turn at a time in the conversation, whichever tab

    def history_for_fn(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``messages`` as fn gets them: a copy it may mutate freely, the system messages first
        (never trimmed by max_history). Call with the lock."""
        return [dict(m) for m in self.system_messages] + [self.for_fn(m) for m in messages]

    def start_reply(self, text: Any, history_for_fn: list[dict[str, Any]], on_complete: Any = None) -> None:
        """Run fn on ``text`` (a multimodal chat's ``{"text", "files"}``) and stream its reply (the user's message is already shown);
        ``on_complete(messages)`` when fn ended well (an example's reply to cache)."""
        self.claims.started()  # before the reply: a quick one may finish before Reply() returns
        hub = self.bot.turns
        reserved, self.reserved = self.reserved, None
        live = hub.start(self._gate, reserved) if hub is not None else None
        sink = live or self.outbox
        reply = Reply(
            self.bot.fn,
            (text, history_for_fn, *self.inputs),
            outbox=sink,
            render=lambda markdown: render(self.bot.renderer, markdown, from_user=False, charge=self.budget.owe),
            stream_interval=self.bot.options.stream_interval,
            on_finish=functools.partial(self._reply_finished, live=live),
            gate=self._gate,
            normalize=self._normalize,
            render_content=self.render_content,
            outputs=Outputs(self.bot.options.additional_outputs, sink, self._output_html)
            if self.bot.options.additional_outputs
            else None,
            on_complete=on_complete,
            context=functools.partial(self._request_context, conversation=self.id),
            queue=self.bot.queue,
        )
        if live is None:
            self.turn.start(reply)  # before it runs: it may end at once
        else:
            live.reply = reply
            self.turn.start(live)
            self.following = self.started = live
            live.follow(self.outbox, 0)  # its `turn` frame first
        reply.start()

    def _output_html(self, component: Any, value: Any) -> str:
        """An additional output's value as HTML, rendered as message content is."""
        hooks, render_content = self.bot.content, self.render_content
        assert hooks is not None and render_content is not None  # chat_bp always has content hooks
        return render_output(
            component,
            value,
            markdown=lambda text: render(self.bot.renderer, text, from_user=False),
            content=lambda item: render_content(hooks.to_content(item)),
        )

    def _on_like(self, frame: dict[str, Any]) -> None:
        self.actions.like(frame)

    def _on_retry(self, frame: dict[str, Any]) -> None:
        self.actions.retry(frame)

    def _on_undo(self, frame: dict[str, Any]) -> None:
        self.actions.undo(frame)

    def _on_clear(self, frame: dict[str, Any]) -> None:
        self.actions.clear(frame)

    def _on_copy(self, frame: dict[str, Any]) -> None:
        self.actions.copy(frame)

    def _on_select(self, frame: dict[str, Any]) -> None:
        self.actions.select(frame)

    def _on_example(self, frame: dict[str, Any]) -> None:
        self.actions.example(frame)

    def _on_edit(self, frame: dict[str, Any]) -> None:
        self.actions.edit(frame)

    def _on_stop(self, frame: dict[str, Any]) -> None:
        self.turn.stop()

    def _reply_finished(self, messages: list[dict[str, Any]], live: LiveTurn | None = None) -> None:
        if live is not None:
            live.finished(messages)  # for the sockets that follow it again, at its idle
        self.budget.settle()  # the reply's renders, paid once it ended (a Stop meanwhile never waits)
        # Decided and remembered in one step: a clear either gave this reply up before it ended,
        # or clears the history after its messages joined it (actions.clear).
        with self.lock:
            if self.turn.end():
                self.remember(messages)
        self.following = None
        self.claims.finished()
        # Its socket gone and the reader back on another one, this session's conversation is out
        # of date (the reader may have cleared it): the follower's session saves, not this one.
        if self.alive() or live is None or not live.taken_over():
            self.saver.save(self)

    def for_fn(self, message: dict[str, Any]) -> dict[str, Any]:
        """A history entry as fn sees it: Gradio's OpenAI-style messages (a fresh copy)."""
        content = message["content"]
        if isinstance(content, dict) and self.bot.content is not None:
            content = self.bot.content.for_fn(content)
        entry = {"role": message["role"], "content": content}
        for key in ("metadata", "options"):
            if message.get(key):
                entry[key] = copy.deepcopy(message[key])
        return entry

    def remember(self, messages: list[dict[str, Any]]) -> None:
        """Append to the history, dropping the oldest beyond ``max_history`` (call with the lock)."""
        self.history.extend(messages)
        excess = len(self.history) - self.bot.options.max_history
        if excess > 0:
            del self.history[:excess]
