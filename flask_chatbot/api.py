"""The chat as an HTTP API (Gradio's ``api_name``): ``POST {mount}/api/{api_name}`` with
``{"message": ..., "history"?: [...], "session_id"?: ..., <additional inputs by name>}`` runs
fn once and answers with the reply as JSON, or streams it as Server-Sent Events when asked
(``Accept: text/event-stream``); ``GET {mount}/api/info`` describes it (OpenAPI 3). docs/api.md.

A turn runs as on the socket: the same :class:`~flask_chatbot.reply.Reply` (the concurrency
queue, Progress, toasts, the request's context), its frames read back into events here. With
no ``history`` the server keeps the conversation under ``session_id``, as Gradio's API keeps a
session's state, in an SQLite file every worker of the host shares.
"""

from __future__ import annotations

import base64
import functools
import json
import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from .api_request import ApiError, ApiRequest, input_names, parse_request
from .api_spec import openapi
from .concurrency import offload
from .content_sources import file_info, kind_for_mime
from .file_serving import clean_name, guess_mime_type
from .files import API_SESSIONS_DB
from .fn_queue import FnGate
from .history_store import SQLiteHistoryStore, default_history_user
from .history_sync import current_user
from .components import Component
from .messages import normalize_reply
from .outputs import Outputs
from .reply import Reply
from .runner import Cancel
from .request_context import capture
from .validation import refusal

API_SESSIONS = 10_000  # conversations the server keeps for API sessions: the oldest go first


class FrameQueue:
    """A Reply's outbox for one request: its frames, in order, for the response to read."""

    def __init__(self) -> None:
        self._frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self.closed = False  # the client went away: the reply stops

    def send(self, frame: dict[str, Any]) -> bool:
        if self.closed:
            return False
        self._frames.put(frame)
        return True

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            frame = self._frames.get()
            yield frame
            if frame["type"] == "idle":
                return


class Transcript:
    """The reply as the frames build it, and the events a stream tells of each frame."""

    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}  # by id, in order
        self.outputs: dict[int, Any] = {}
        self.error: tuple[str, str] | None = None

    def apply(self, frame: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        kind = frame["type"]
        if kind == "message" and frame["message"]["role"] == "assistant":
            body = frame["message"]
            self.messages[body["id"]] = _message(body)
            return [("message", {"index": self._index(body["id"]), **self.messages[body["id"]]})]
        if kind in ("patch", "done") and frame["id"] in self.messages:
            return self._update(frame, final=kind == "done")
        if kind == "remove":
            self.messages.pop(frame["id"], None)
        elif kind == "output":
            self.outputs[frame["index"]] = frame["value"]
            return [("output", {"index": frame["index"], "value": self.outputs[frame["index"]]})]
        elif kind in ("status", "toast"):
            return [(kind, {k: v for k, v in frame.items() if k != "type"})]
        elif kind == "error":
            self.error = (frame["code"], frame["message"])
        return []

    def _update(self, frame: dict[str, Any], final: bool) -> list[tuple[str, dict[str, Any]]]:
        message = self.messages[frame["id"]]
        index = self._index(frame["id"])
        events = []
        if final:
            # The last piece comes with done only (the reply's last value is never a patch).
            text, content = message["content"], frame["content"]
            if isinstance(text, str) and isinstance(content, str) and content.startswith(text) and content != text:
                events.append(("delta", {"index": index, "text": content[len(text):]}))
            elif content != text:
                events.append(("message", {"index": index, **_message(frame)}))
            message.update(_message(frame))
        elif isinstance(message["content"], str) and "keep" in frame:
            text, keep, append = message["content"], frame["keep"], frame["append"]
            message["content"] = text[:keep] + append
            if keep == len(text) and append:
                events.append(("delta", {"index": index, "text": append}))
            elif keep != len(text):
                events.append(("message", {"index": index, **message}))
        for key in ("metadata", "options"):
            if key in frame and not final:
                message[key] = frame[key]
                events.append(("message", {"index": index, **message}))
        return events

    def _index(self, message_id: str) -> int:
        return list(self.messages).index(message_id)

    def reply(self) -> list[dict[str, Any]]:
        return list(self.messages.values())


def _message(body: dict[str, Any]) -> dict[str, Any]:
    out = {"role": "assistant", "content": body["content"]}
    for key in ("metadata", "options"):
        if body.get(key):
            out[key] = body[key]
    return out


def start_turn(bot: Any, message: Any, history: list[dict[str, Any]], inputs: list[Any], conversation: str, *,
               gate: FnGate, normalize: Callable[[Any], list[dict[str, Any]]]) -> tuple[Reply, FrameQueue, Transcript]:
    """Run fn on ``message`` after ``history`` (the chat's system messages first), in the request's
    context and the chat's queue; its frames go to the FrameQueue, for a Transcript to read."""
    frames = FrameQueue()
    for_fn = bot.content.for_fn if bot.content else (lambda content: content)
    history = latest(history, bot.options.max_history)  # fn sees at most max_history, as on the socket
    past = [{**m, "content": for_fn(m["content"])} if isinstance(m["content"], dict) else dict(m) for m in history]
    reply = Reply(
        bot.fn,
        (message, [dict(m) for m in bot.system()] + past, *inputs),
        outbox=frames,
        render=lambda markdown: "",  # a program reads the text: nothing to render
        stream_interval=bot.options.stream_interval,
        on_finish=lambda messages: None,
        gate=gate,
        normalize=normalize,
        context=functools.partial(capture(), conversation=conversation),
        queue=bot.queue,
        # fn's (reply, *values): the values are outputs, not more reply; a program gets them as JSON.
        outputs=Outputs(bot.options.additional_outputs, frames, lambda component, value: "", output_value(bot))
        if bot.options.additional_outputs
        else None,
    )
    reply.start()
    return reply, frames, Transcript()


def output_value(bot: Any) -> Callable[[Any], Any]:
    """An additional output's value as a program reads it: JSON as it is, a component as its
    content (a file's info, which gets its URL), anything else as text."""

    def value(item: Any) -> Any:
        if isinstance(item, Component):
            return bot.content.to_content(item) if bot.content else None
        if item is None or isinstance(item, (str, int, float, bool, list, dict)):
            return item
        return str(item)

    return value


def latest(history: list[dict[str, Any]], max_history: int) -> list[dict[str, Any]]:
    """The last ``max_history`` messages of ``history`` (none for 0)."""
    return history[max(len(history) - max_history, 0):]


def read_body(limit: int) -> bytes | None:
    """The request's body, or None when it is over ``limit`` bytes, whether it declared its
    length or came chunked (no ``Content-Length`` to check first). werkzeug reads at most the
    request's ``max_content_length``, one byte past the limit here, so more than the limit
    shows as that byte. Cached, so an app's ``before_request`` may have read it first."""
    request.max_content_length = limit + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:  # a Content-Length over it: refused before reading
        return None
    return None if len(data) > limit else data


def reply_normalizer(bot: Any) -> Callable[[Any], list[dict[str, Any]]]:
    """fn's values as messages, as the socket takes them (files stored, reasoning tags)."""
    return functools.partial(
        normalize_reply, to_content=bot.content.to_content if bot.content else None,
        reasoning_tags=bot.options.reasoning_tags,
    )


def register_api(bp: Blueprint, bot: Any, parameters: list[str], store_root: Path) -> None:
    """``api/{api_name}`` and ``api/info`` on ``bp`` (nothing with ``api_name=False``)."""
    opts = bot.options
    if opts.api_name is False:
        return
    names = input_names(opts.additional_inputs, parameters)
    sessions = _Sessions(store_root / API_SESSIONS_DB)
    normalize = reply_normalizer(bot)
    # Who is calling, for the sessions they may go on with: the signed-in user (history_user,
    # else Flask-Login's), or nobody.
    caller = opts.history_user or default_history_user()

    @bp.post(f"/api/{opts.api_name}", endpoint="api")
    def chat() -> Response:
        try:
            call = _take(opts, names)
        except ApiError as error:
            return _refuse(error)
        # A session is its caller's: "api:<user>" when signed in. Only an id the server gave
        # that caller goes on; an invented one, or another user's, is not a key to anything.
        owner = f"api:{user}" if (user := current_user(caller)) is not None else "api"
        if call.history is None and not call.new_session and not sessions.exists(owner, call.session_id):
            return _refuse(ApiError(404, "unknown_session", "no such session: leave session_id out to start one, "
                                    "and go on with the session_id an answer gave"))
        # A kept session's turns go one at a time, each loading the history after the one before
        # it saved (loaded first, two calls would each save their own turn over the other's).
        held = sessions.gate(call.session_id) if call.history is None else None
        if held is not None:
            held.enter(Cancel())  # never cancelled: the earlier call ends, one way or another
        try:
            history = call.history if call.history is not None else sessions.load(owner, call.session_id)
            reply, frames, transcript = start_turn(bot, call.message, history, call.inputs, call.session_id,
                                                   gate=FnGate(), normalize=normalize)
        except BaseException:
            if held is not None:
                held.leave()
            raise
        release = _once(held.leave if held is not None else (lambda: None))

        files = url_for(".page", _external=True) + "files/"  # now: a stream's generator has no request

        def finish() -> dict[str, Any]:
            said = [{"role": "user", "content": {"component": kind_for_mime(f.mime_type), "file": file_info(f)}}
                    for f in call.files]
            if call.text.strip() or not said:
                said.append({"role": "user", "content": call.text})
            new_history = latest([*history, *said, *transcript.reply()], opts.max_history)
            if call.history is None:
                sessions.save(owner, call.session_id, new_history)
            result: dict[str, Any] = {"response": with_urls(_response(transcript.reply()), files),
                                      "history": with_urls(new_history, files)}
            if call.history is None:
                result["session_id"] = call.session_id
            if opts.additional_outputs:
                result["outputs"] = with_urls([transcript.outputs.get(i) for i in range(len(opts.additional_outputs))], files)
            return result

        if "text/event-stream" in request.headers.get("Accept", ""):
            return Response(_Closing(_stream(frames, transcript, reply, finish, release), release), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            for frame in frames:
                transcript.apply(frame)
            if transcript.error:
                return _refuse(ApiError(500, *transcript.error))
            return jsonify(finish())
        finally:
            release()

    @bp.get("/api/info", endpoint="api_info")
    def info() -> Response:
        return jsonify(openapi(bot, names, url_for(".page", _external=True).rstrip("/")))

    def _take(opts: Any, names: list[list[str]]) -> ApiRequest:
        if not request.is_json:
            raise ApiError(415, "bad_request", "send JSON (Content-Type: application/json)")
        data = read_body(opts.max_frame_bytes)
        if data is None:
            raise ApiError(413, "too_large", f"the body is larger than {opts.max_frame_bytes} bytes")
        try:
            body = json.loads(data or b"null")
        except ValueError as exc:
            raise ApiError(400, "bad_json", f"the body is not valid JSON ({exc})") from None
        call = parse_request(body, components=opts.additional_inputs, names=names, max_chars=opts.max_message_chars,
                             multimodal=opts.multimodal)
        if opts.multimodal:
            call.files = store_files(bot, call.message["files"])  # fn gets paths, as from the page
            call.message = {"text": call.text, "files": [str(f.path) for f in call.files]}
        reason = refusal(opts.validator, call.message, call.inputs)
        if reason is not None:
            raise ApiError(422, "invalid", reason)
        if bot.queue.full():
            raise ApiError(503, "queue_full", "The chat is busy: too many people are waiting. Please try again in a moment.")
        return call


def _stream(frames: FrameQueue, transcript: Transcript, reply: Reply, finish: Callable[[], dict[str, Any]],
            release: Callable[[], None]) -> Iterator[str]:
    """The reply as Server-Sent Events; a client that goes away stops fn (at its next yield).
    ``release`` lets the session's next call in, once this one has saved or gone."""
    ended = False
    try:
        for frame in frames:
            for event, data in transcript.apply(frame):
                yield _event(event, data)
        ended = True
        if transcript.error:
            yield _event("error", {"error": {"code": transcript.error[0], "message": transcript.error[1]}})
        else:
            yield _event("done", finish())
    finally:
        if not ended:
            frames.closed = True
            reply.stop()
        release()


class _Closing:
    """An iterable that calls ``release`` when the server closes it, even if it never started
    (a generator's ``finally`` does not run then)."""

    def __init__(self, events: Iterator[str], release: Callable[[], None]) -> None:
        self._events = events
        self._release = release

    def __iter__(self) -> Iterator[str]:
        return self._events

    def close(self) -> None:
        try:
            self._events.close()  # type: ignore[attr-defined]
        finally:
            self._release()


def _once(action: Callable[[], None]) -> Callable[[], None]:
    done = threading.Lock()

    def once() -> None:
        if done.acquire(blocking=False):
            action()

    return once


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def store_files(bot: Any, files: list[dict[str, str]]) -> list[Any]:
    """A message's files (``{"name", "data": base64}``), checked against the chat's rules and
    stored as the reader's uploads are."""
    rules = bot.options.upload_rules
    if len(files) > rules.max_files:
        raise ApiError(400, "file_refused", f"a message may carry at most {rules.max_files} files")
    stored = []
    for item in files:
        name = clean_name(item["name"])
        mime = guess_mime_type(name)
        why = rules.refusal(name, mime)
        if why is not None:
            raise ApiError(400, "file_refused", why)
        data = item["data"].split(",", 1)[1] if item["data"].startswith("data:") else item["data"]
        if len(data) * 3 // 4 > rules.max_file_size + 3:
            raise ApiError(413, "too_large", f"{name!r} is larger than the limit of {rules.max_file_size} bytes")
        try:
            raw = base64.b64decode(data, validate=True)
        except ValueError:
            raise ApiError(400, "bad_request", f"{name!r}: data is not base64") from None
        stored.append(offload(bot.content.store.add_bytes, raw, name=name, mime_type=mime))
    return stored


def with_urls(value: Any, files: str) -> Any:
    """``value`` with a ``url`` beside each stored file's info (``files``: the chat's files URL)."""
    if isinstance(value, list):
        return [with_urls(item, files) for item in value]
    if isinstance(value, dict):
        out = {key: with_urls(item, files) for key, item in value.items()}
        if isinstance(value.get("file"), dict) and "id" in value["file"]:
            out["file"] = {**value["file"], "url": files + value["file"]["id"]}
        return out
    return value


def _response(messages: list[dict[str, Any]]) -> Any:
    """What Gradio's API answers: the reply's content; a list of them for several messages."""
    if len(messages) == 1:
        return messages[0]["content"]
    return [m["content"] for m in messages] if messages else ""


def _refuse(error: ApiError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    return response


class _Sessions:
    """The conversations the server keeps for API sessions, and one fn at a time in each."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._store: SQLiteHistoryStore | None = None
        self._lock = threading.Lock()
        self._gates: weakref.WeakValueDictionary[str, FnGate] = weakref.WeakValueDictionary()

    def _db(self) -> SQLiteHistoryStore:
        with self._lock:  # made on first use: a chat no program calls never opens it
            if self._store is None:
                self._store = SQLiteHistoryStore(self._path, max_conversations=API_SESSIONS)
            return self._store

    def exists(self, owner: str, session_id: str) -> bool:
        return offload(self._db().get, owner, session_id) is not None

    def load(self, owner: str, session_id: str) -> list[dict[str, Any]]:
        found = offload(self._db().get, owner, session_id)
        return found["messages"] if found else []

    def save(self, owner: str, session_id: str, history: list[dict[str, Any]]) -> None:
        offload(self._db().save, owner, session_id, history)

    def gate(self, session_id: str) -> FnGate:
        with self._lock:
            gate = self._gates.get(session_id)
            if gate is None:
                gate = FnGate()
                self._gates[session_id] = gate
            return gate


__all__ = ["FrameQueue", "Transcript", "register_api", "read_body", "reply_normalizer", "start_turn"]
