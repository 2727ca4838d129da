"""The chat as an HTTP API (Gradio's ``api_name``): ``POST {mount}/api/{api_name}`` with
``{"message": ..., "history"?: [...], "session_id"?: ..., <additional inputs by name>}`` runs
fn once and answers with the reply as JSON, or streams it as Server-Sent Events when asked
(``Accept: text/event-stream``); ``GET {mount}/api/info`` describes it (OpenAPI 3). docs/api.md.

A turn runs as on the socket (web/api_turn.py), its frames read back into events here. With
no ``history`` the server keeps the conversation under ``session_id``, as Gradio's API keeps a
session's state, in an SQLite file every worker of the host shares.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import weakref
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..content.sources import file_info, kind_for_mime
from ..conversation.client_share import SHARE_FULL, client_key
from ..conversation.fn_queue import FnGate
from ..conversation.history_sync import current_user
from ..conversation.live_turn import LiveTurn
from ..conversation.validation import refusal
from ..files.paths import API_SESSIONS_DB
from ..files.serving import clean_name, guess_mime_type
from ..protocol.frames import encode
from ..runtime.runner import Cancel
from ..stores.api_sessions import ApiSessionStore
from ..stores.history import default_history_user
from .api_files import FilesRefused, discard, store_program_files
from .api_request import ApiError, ApiRequest, input_names, parse_request
from .api_resume import START, ApiTurns, Following, Position, Recording, event_id, parse_event_id
from .api_spec import openapi
from .api_turn import Transcript, latest, make_reply, reply_normalizer

log = logging.getLogger("flask_chatbot")

GONE = "no reply of this chat has that id any more: it ended more than resume_window seconds ago, or never was"
NOT_SENT = "Last-Event-ID names no event this stream sent: it is past the stream's end"
INCOMPLETE = ("fn_error", "The reply could not be finished. Please try again.")


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


def register_api(bp: Blueprint, bot: Any, parameters: list[str], store_root: Path) -> None:
    """``api/{api_name}`` and ``api/info`` on ``bp`` (nothing with ``api_name=False``)."""
    opts = bot.options
    if opts.api_name is False:
        return
    names = input_names(opts.additional_inputs, parameters)
    sessions = _Sessions(store_root / API_SESSIONS_DB)
    turns = ApiTurns(bot.turns)  # web/api_resume.py
    normalize = reply_normalizer(bot)
    # Who is calling, for the sessions they may go on with: the signed-in user (history_user,
    # else Flask-Login's), or nobody.
    caller = opts.history_user or default_history_user()

    @bp.route(f"/api/{opts.api_name}", methods=["POST", "DELETE"], endpoint="api")
    def chat() -> Response:
        # A stream that dropped comes back with the id of the last event it had (SSE's own way);
        # DELETE with it stops that turn. Its body, sent again, is not read: the turn is running.
        if "Last-Event-ID" in request.headers or request.method == "DELETE":
            return _resumed(request.headers.get("Last-Event-ID", ""))
        try:
            call = _take(opts, names)
        except ApiError as error:
            return _refuse(error)
        # A session is its caller's: "api:<user>" when signed in. Only an id the server gave
        # that caller goes on; an invented one, or another user's, is not a key to anything.
        owner = f"api:{user}" if (user := current_user(caller)) is not None else "api"
        if call.history is None and not call.new_session and not sessions.exists(owner, call.session_id):
            discard(bot, call.files)
            return _refuse(
                ApiError(
                    404,
                    "unknown_session",
                    "no such session: leave session_id out to start one, and go on with the session_id an answer gave",
                )
            )
        # The caller's share of the line, as a reader's (conversation/client_share.py): let go when fn has
        # ended (not when the answer ends: a client that leaves does not stop a plain fn at once).
        claim, gate = object(), FnGate()
        if not bot.queue.claim(client_key(user, request.remote_addr), claim):
            discard(bot, call.files)
            return _refuse(ApiError(429, "queue_full", SHARE_FULL))
        # A kept session's turns go one at a time, each loading the history after the one before
        # it saved (loaded first, two calls would each save their own turn over the other's).
        held = sessions.gate(call.session_id) if call.history is None else None

        def end() -> None:
            if held is not None:
                held.leave()
            gate.when_free(lambda: bot.queue.release(claim))

        release = _once(end)
        if held is not None:
            held.enter(Cancel())  # never cancelled: the earlier call ends, one way or another
        files = url_for(".page", _external=True) + "files/"  # now: the turn ends with no request

        def finished(messages: list[dict[str, Any]]) -> None:
            """fn has ended (in the runner, whoever reads): the session keeps the turn, and the
            answer goes in the turn for its readers, before its last frame."""
            try:
                if recording.transcript.error is None:
                    sink.send({"type": "result", "result": answer(recording.transcript)})
            except Exception:  # the session could not be saved: its readers are told the reply is not whole
                log.exception("Saving API session %s failed", call.session_id)
            finally:
                release()

        def answer(transcript: Transcript) -> dict[str, Any]:
            said = [
                {"role": "user", "content": {"component": kind_for_mime(f.mime_type), "file": file_info(f)}}
                for f in call.files
            ]
            if call.text.strip() or not said:
                said.append({"role": "user", "content": call.text})
            new_history = latest([*history, *said, *transcript.reply()], opts.max_history)
            if call.history is None:
                sessions.save(owner, call.session_id, new_history)
            result: dict[str, Any] = {
                "response": with_urls(_response(transcript.reply()), files),
                "history": with_urls(new_history, files),
            }
            if call.history is None:
                result["session_id"] = call.session_id
            if opts.additional_outputs:
                result["outputs"] = with_urls(
                    [transcript.outputs.get(i) for i in range(len(opts.additional_outputs))], files
                )
            return result

        try:
            history = call.history if call.history is not None else sessions.load(owner, call.session_id)
            sink = turns.start(gate)
            recording = Recording(sink)
            reply = make_reply(
                bot,
                call.message,
                history,
                call.inputs,
                call.session_id,
                gate=gate,
                normalize=normalize,
                outbox=recording,
                on_finish=finished,
            )
            if isinstance(sink, LiveTurn):
                sink.reply = reply
            following = turns.follow_started(sink, reply.stop)
            reply.start()
        except BaseException:
            release()
            raise
        return _answer(following, START)

    def _resumed(last_event_id: str) -> Response:
        named = parse_event_id(last_event_id)
        if named is None:
            return _refuse(
                ApiError(400, "bad_request", "Last-Event-ID must be the id of an event this API sent (<key>:<seq>)")
            )
        key, position = named
        if request.method == "DELETE":
            if not turns.stop(key):
                return _refuse(ApiError(404, "unknown_turn", GONE))
            return jsonify(stopped=True)
        following = turns.follow(key)
        if following is None:
            return _refuse(ApiError(404, "unknown_turn", GONE))
        return _answer(following, position)

    def _answer(following: Following, after: Position) -> Response:
        if "text/event-stream" in request.headers.get("Accept", ""):
            return Response(
                Closing(_stream(following, after), following.leave),
                mimetype="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        transcript, result = Transcript(), None
        try:
            for frame in following.frames:
                if frame["type"] == "result":
                    result = frame["result"]
                transcript.apply(frame)
        finally:
            following.leave()
        if transcript.error or result is None:
            return _refuse(ApiError(500, *(transcript.error or INCOMPLETE)))
        return jsonify(result)

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
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
            raise ApiError(400, "bad_json", f"the body is not valid JSON ({exc.__class__.__name__})") from None
        call = parse_request(
            body,
            components=opts.additional_inputs,
            names=names,
            max_chars=opts.max_message_chars,
            multimodal=opts.multimodal,
        )
        if opts.multimodal:
            call.files = store_files(bot, call.message["files"], call.session_id)  # fn gets paths, as from the page
            call.message = {"text": call.text, "files": [str(f.path) for f in call.files]}
        try:
            reason = refusal(opts.validator, call.message, call.inputs)
            if reason is not None:
                raise ApiError(422, "invalid", reason)
            if bot.queue.full():
                raise ApiError(
                    503, "queue_full", "The chat is busy: too many people are waiting. Please try again in a moment."
                )
        except ApiError:
            discard(bot, call.files)  # nothing of a refused call stays
            raise
        return call


def _stream(following: Following, after: Position) -> Generator[str, None, None]:
    """The turn's reply as Server-Sent Events, those after ``after`` (a stream that came back);
    each resumable event carries its id. A client that goes away leaves the turn: it runs on
    for its ``resume_window`` (or ends at once without a hub, as in Gradio)."""
    transcript, result, ended = Transcript(), None, False
    key = following.key
    try:
        for frame in following.frames:
            seq = frame.get("seq", 0)
            if frame["type"] == "result":  # the last before idle: the answer, once fn has ended
                result = (seq, frame["result"])
                continue
            if frame["type"] == "idle":
                ended = True
                if seq and after[0] >= seq:  # past its last frame: no id this stream sent
                    yield _event("error", {"error": {"code": "bad_request", "message": NOT_SENT}})
                    return
                break
            for n, (event, data) in enumerate(transcript.apply(frame)):
                if key is None:
                    yield _event(event, data)
                elif (seq, n) > after:
                    yield _event(event, data, event_id(key, seq, n))
        ended = True
        if result is not None:  # again to a client back with done's own id: it ends all the same
            yield _event("done", result[1], event_id(key, result[0], 0) if key else None)
        else:
            code, message = transcript.error or INCOMPLETE
            yield _event("error", {"error": {"code": code, "message": message}})
    finally:
        if not ended:
            following.leave()


class Closing:
    """An iterable that calls ``release`` when the server closes it, even if it never started
    (a generator's ``finally`` does not run then)."""

    def __init__(self, events: Generator[str, None, None], release: Callable[[], None]) -> None:
        self._events = events
        self._release = release

    def __iter__(self) -> Iterator[str]:
        return self._events

    def close(self) -> None:
        try:
            self._events.close()
        finally:
            self._release()


def _once(action: Callable[[], None]) -> Callable[[], None]:
    done = threading.Lock()

    def once() -> None:
        if done.acquire(blocking=False):
            action()

    return once


def _event(name: str, data: Any, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {encode(data)}\n\n"


def store_files(bot: Any, files: list[dict[str, str]], caller: str) -> list[Any]:
    """A message's files (``{"name", "data": base64}``), checked against the chat's rules and
    stored as the reader's uploads are (web/api_files.py), for ``caller`` (the session)."""
    rules = bot.options.upload_rules
    if len(files) > rules.max_files:
        raise ApiError(400, "file_refused", f"a message may carry at most {rules.max_files} files")
    decoded = []
    for item in files:
        name = clean_name(item["name"])
        mime = guess_mime_type(name)
        why = rules.refusal(name, mime)
        if why is not None:
            raise ApiError(400, "file_refused", why)
        if item["data"].startswith("data:") and "," not in item["data"]:
            raise ApiError(400, "bad_request", f"{name!r}: data is not a data: URL (data:<type>;base64,<data>)")
        data = item["data"].partition(",")[2] if item["data"].startswith("data:") else item["data"]
        if len(data) * 3 // 4 > rules.max_file_size + 3:
            raise ApiError(413, "too_large", f"{name!r} is larger than the limit of {rules.max_file_size} bytes")
        try:
            raw = base64.b64decode(data, validate=True)
        except ValueError:
            raise ApiError(400, "bad_request", f"{name!r}: data is not base64") from None
        decoded.append((name, mime, raw))
    try:
        return store_program_files(bot, decoded, caller)
    except FilesRefused as refused:
        raise ApiError(refused.status, refused.code, refused.message) from None


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


class _Sessions(ApiSessionStore):
    """The conversations the server keeps for API sessions, and one fn at a time in each."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._gates_lock = threading.Lock()
        self._gates: weakref.WeakValueDictionary[str, FnGate] = weakref.WeakValueDictionary()

    def gate(self, session_id: str) -> FnGate:
        with self._gates_lock:
            gate = self._gates.get(session_id)
            if gate is None:
                gate = FnGate()
                self._gates[session_id] = gate
            return gate


__all__ = ["register_api", "read_body", "store_files", "with_urls"]
