"""The chat as an OpenAI-compatible server (``openai_compatible=True``): ``POST
{mount}/v1/chat/completions`` and ``GET {mount}/v1/models``, so the official ``openai``
package, and everything built on it, talks to fn (docs/openai.md).

The request's messages become fn's call: the last user message is the message, the ones
before the history (system messages included). The reply's text comes back as the
completion, streamed as ``chat.completion.chunk`` events ending in ``data: [DONE]`` when
``stream`` is true. Token usage is not counted here, so ``usage`` is left out rather than
made up. Errors have OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import inspect
import json
import secrets
import time
from collections.abc import Callable, Generator
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from ..conversation.client_share import SHARE_FULL, client_key
from ..conversation.fn_queue import FnGate
from ..conversation.history_sync import current_user
from ..conversation.reply import Reply
from ..conversation.validation import refusal
from ..options.inputs import default as default_input
from ..protocol.frames import encode
from ..stores.history import default_history_user
from .api_files import FilesRefused, discard, store_program_files
from .api_turn import FrameQueue, Transcript, reply_normalizer, start_turn
from .http_api import Closing, read_body

# What OpenAI's endpoint takes besides model and messages: accepted, and ignored (fn decides).
# Agent frameworks send tools with every call; fn answers in text, which they take as the
# model's final answer. A fn with a ``tools`` keyword gets the list (see _takes_tools).
IGNORED = frozenset(
    """temperature top_p n stop max_tokens max_completion_tokens presence_penalty frequency_penalty
    logit_bias user seed stream_options response_format metadata store service_tier reasoning_effort modalities
    prediction logprobs top_logprobs audio verbosity web_search_options safety_identifier moderation
    prompt_cache_key prompt_cache_options prompt_cache_retention
    tools tool_choice parallel_tool_calls functions function_call""".split()
)


class OpenAIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code

    def response(self) -> Response:
        body = jsonify(error={"message": self.message, "type": self.kind, "param": self.param, "code": self.code})
        body.status_code = self.status
        return body


def register_openai(bp: Blueprint, bot: Any) -> None:
    """``v1/chat/completions`` and ``v1/models`` on ``bp`` when ``openai_compatible`` is on."""
    opts = bot.options
    if not opts.openai_compatible:
        return
    model = opts.openai_model or bp.name
    normalize = reply_normalizer(bot)
    takes_tools = _takes_tools(bot.fn, len(opts.additional_inputs))
    caller = opts.history_user or default_history_user()  # the signed-in user, whose share a call takes

    @bp.get("/v1/models", endpoint="openai_models")
    def models() -> Response:
        # The key, when one is set, was checked with the chat's other doors (access/policy.py).
        return jsonify(
            object="list", data=[{"id": model, "object": "model", "created": 0, "owned_by": "flask-chatbot"}]
        )

    @bp.post("/v1/chat/completions", endpoint="openai_completions")
    def completions() -> Response:
        completion = f"chatcmpl-{secrets.token_hex(12)}"
        # The caller's share of the line, as a reader's (conversation/client_share.py): let go once fn has ended.
        claim, gate = object(), FnGate()
        if not bot.queue.claim(client_key(current_user(caller), request.remote_addr), claim):
            return OpenAIError(429, SHARE_FULL, "rate_limit_error", code="queue_full").response()
        stored: list[Any] = []
        try:
            body = _body(opts.max_frame_bytes)
            text, images, history = _messages(body, model, opts.max_message_chars, images=opts.multimodal)
            message: str | dict[str, Any] = text
            if opts.multimodal:
                stored = _with_images(bot, images, completion)
                message = {"text": text, "files": [str(f.path) for f in stored]}
            inputs = [default_input(c) for c in opts.additional_inputs]
            reason = refusal(opts.validator, message, inputs)
            if reason is not None:
                raise OpenAIError(400, reason, param="messages", code="invalid")
            if bot.queue.full():
                raise OpenAIError(
                    503,
                    "The chat is busy: too many people are waiting. Please try again in a moment.",
                    "server_error",
                    code="queue_full",
                )
        except OpenAIError as error:
            discard(bot, stored)  # nothing of a refused call stays
            bot.queue.release(claim)
            return error.response()
        try:
            return _answer(
                body,
                message,
                history,
                inputs,
                completion,
                gate,
                lambda: gate.when_free(lambda: bot.queue.release(claim)),
            )
        except BaseException:
            bot.queue.release(claim)
            raise

    def _answer(
        body: dict[str, Any],
        message: Any,
        history: list[Any],
        inputs: list[Any],
        completion: str,
        gate: FnGate,
        release: Callable[[], None],
    ) -> Response:
        turn_bot = bot
        if takes_tools and body.get("tools") is not None:  # without them fn's default stands, as on the page
            turn_bot = dataclasses.replace(bot, fn=functools.partial(bot.fn, tools=body["tools"]))
        reply, frames, transcript = start_turn(
            turn_bot, message, history, inputs, completion, gate=gate, normalize=normalize
        )
        head = {"id": completion, "created": int(time.time()), "model": model}
        files = url_for(".page", _external=True) + "files/"
        if body.get("stream"):
            return Response(
                Closing(_chunks(frames, transcript, reply, head, files), release),
                mimetype="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            for frame in frames:
                transcript.apply(frame)
        finally:
            release()
        if transcript.error:
            return OpenAIError(500, transcript.error[1], "server_error", code=transcript.error[0]).response()
        return jsonify(
            **head,
            object="chat.completion",
            choices=[
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion_text(transcript, files)},
                    "finish_reason": "stop",
                }
            ],
        )


def _body(limit: int) -> dict[str, Any]:
    data = read_body(limit)
    if data is None:
        raise OpenAIError(413, f"The request is larger than {limit} bytes.")
    try:
        body = json.loads(data or b"null")
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise OpenAIError(400, "We could not parse the JSON body of your request.") from None
    if not isinstance(body, dict):
        raise OpenAIError(400, "The body must be a JSON object.")
    for key in body:
        if key not in ("model", "messages", "stream") and key not in IGNORED:
            raise OpenAIError(400, f"Unrecognized request argument supplied: {key}", param=key)
    tools = body.get("tools")  # null: none, as OpenAI takes it
    if tools is not None and (not isinstance(tools, list) or not all(isinstance(tool, dict) for tool in tools)):
        raise OpenAIError(400, "tools must be an array of tool objects.", param="tools")
    if body.get("n", 1) != 1:
        raise OpenAIError(400, "Only n=1 is supported.", param="n")
    if not isinstance(body.get("stream", False), bool):
        raise OpenAIError(400, "stream must be true or false.", param="stream")
    return body


def _takes_tools(fn: Any, inputs: int) -> bool:
    """Whether fn takes the request's ``tools``: a parameter of that name passed by keyword,
    after message, history and the additional inputs' places (``def fn(message, history, *,
    tools=None)``). A positional place of that name is an additional input's."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    for index, parameter in enumerate(parameters):
        if parameter.name == "tools":
            return parameter.kind is parameter.KEYWORD_ONLY or (
                parameter.kind is parameter.POSITIONAL_OR_KEYWORD and index >= 2 + inputs
            )
    return False


def _messages(
    body: dict[str, Any], model: str, max_chars: int, *, images: bool
) -> tuple[str, list[tuple[str, bytes]], list[dict[str, Any]]]:
    """The last user message's text and images (a multimodal chat's: ``(type, bytes)``), and the
    messages before it as fn takes them (an image there stands as "[image]")."""
    if body.get("model") != model:
        raise OpenAIError(
            404,
            f"The model `{body.get('model')}` does not exist; this server has `{model}`.",
            param="model",
            code="model_not_found",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise OpenAIError(400, "messages must be a non-empty array.", param="messages")
    history = []
    for index, entry in enumerate(messages):
        if not isinstance(entry, dict) or entry.get("role") not in ("system", "developer", "user", "assistant"):
            raise OpenAIError(
                400, f"messages[{index}].role must be system, user or assistant.", param=f"messages[{index}]"
            )
        role = "system" if entry["role"] == "developer" else entry["role"]
        history.append({"role": role, "content": _text(entry.get("content"), index, images)})
    last = history.pop()
    pictures = _images(messages[-1].get("content")) if images else []
    if pictures:  # they go to fn as files: the text is the text parts'
        last["content"] = "\n".join(str(p.get("text", "")) for p in messages[-1]["content"] if p.get("type") == "text")
    if last["role"] != "user":
        raise OpenAIError(400, "The last message must be the user's.", param="messages")
    if len(last["content"]) > max_chars:
        raise OpenAIError(
            400,
            f"The message has {len(last['content'])} characters; the limit is {max_chars}.",
            param="messages",
            code="context_length_exceeded",
        )
    return last["content"], pictures, history


def _text(content: Any, index: int, images: bool) -> str:
    """A message's content as text: a string, or the text parts of an array of parts (an image
    part, in a multimodal chat, as "[image]")."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(part, dict) for part in content):
        kinds = {part.get("type") for part in content}
        if kinds - ({"text", "image_url"} if images else {"text"}):
            taken = "text and image_url parts" if images else "only text parts (the chat is not multimodal)"
            raise OpenAIError(400, f"messages[{index}]: {taken} are taken here.", param=f"messages[{index}].content")
        return "\n".join(str(part.get("text", "")) if part.get("type") == "text" else "[image]" for part in content)
    raise OpenAIError(
        400,
        f"messages[{index}].content must be a string or an array of text parts.",
        param=f"messages[{index}].content",
    )


def _images(content: Any) -> list[tuple[str, bytes]]:
    """The images of a message's parts, each a ``data:`` URL (a server does not fetch URLs)."""
    found = []
    for part in content if isinstance(content, list) else []:
        if part.get("type") != "image_url":
            continue
        given = part.get("image_url")
        url = str((given or {}).get("url", "")) if isinstance(given, dict) or given is None else str(given)
        head, _, data = url.partition(",")
        if not (head.startswith("data:image/") and head.endswith(";base64")):
            raise OpenAIError(400, "An image must come as a data: URL (base64).", param="messages")
        try:
            found.append((head[5:-7], base64.b64decode(data, validate=True)))
        except ValueError:
            raise OpenAIError(400, "An image's data: URL is not valid base64.", param="messages") from None
    return found


def _with_images(bot: Any, images: list[tuple[str, bytes]], caller: str) -> list[Any]:
    """A multimodal fn's images, stored as the reader's files are (web/api_files.py)."""
    rules = bot.options.upload_rules
    if len(images) > rules.max_files:
        raise OpenAIError(400, f"A message may carry at most {rules.max_files} files.", param="messages")
    files = []
    for number, (mime, data) in enumerate(images, 1):
        name = f"image-{number}.{mime.split('/')[-1]}"
        why = rules.refusal(name, mime)
        if why is not None:
            raise OpenAIError(400, why, param="messages")
        if len(data) > rules.max_file_size:
            raise OpenAIError(413, f"An image is larger than {rules.max_file_size} bytes.", param="messages")
        files.append((name, mime, data))
    try:
        return store_program_files(bot, files, caller)
    except FilesRefused as refused:
        raise OpenAIError(
            refused.status,
            refused.message,
            "rate_limit_error" if refused.status == 429 else "server_error",
            code=refused.code,
        ) from None


def completion_text(transcript: Transcript, files: str) -> str:
    """The reply as one text: its messages' text (not its thoughts), files as links under
    ``files`` (the chat's files URL)."""
    return "\n\n".join(text for message in transcript.reply() if (text := message_text(message, files)))


def message_text(message: dict[str, Any], files: str) -> str:
    if (message.get("metadata") or {}).get("title"):
        return ""  # a thought: how fn got there, not the answer
    content = message["content"]
    if isinstance(content, str):
        return content
    source = content.get("file") or {}
    url = content.get("url") or (files + source["id"] if source.get("id") else "")
    return f"[{source.get('name') or content.get('label') or content.get('component', 'file')}]({url})" if url else ""


def _chunks(
    frames: FrameQueue, transcript: Transcript, reply: Reply, head: dict[str, Any], files: str
) -> Generator[str, None, None]:
    """OpenAI's stream: a chunk per piece of text as fn yields it (thoughts left out, each
    further message after a blank line), a last one with finish_reason, then ``[DONE]``."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        data = {
            **head,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {encode(data)}\n\n"

    shown: int | None = None  # the message whose text the stream is adding to
    ended = False
    try:
        yield chunk({"role": "assistant", "content": ""})
        for frame in frames:
            for event, data in transcript.apply(frame):
                if event not in ("message", "delta"):
                    continue
                message = transcript.reply()[data["index"]]
                if event == "message" and (data["index"] == shown or not isinstance(message["content"], (str, dict))):
                    continue  # a change a stream cannot take back: the final text has it
                text = data["text"] if event == "delta" else message_text(message, files)
                if not text or (message.get("metadata") or {}).get("title"):
                    continue
                if shown is not None and data["index"] != shown:
                    text = "\n\n" + text
                shown = data["index"]
                yield chunk({"content": text})
        ended = True
        if transcript.error:
            error = {"message": transcript.error[1], "type": "server_error", "param": None, "code": transcript.error[0]}
            yield f"data: {json.dumps({'error': error})}\n\n"
        else:
            yield chunk({}, "stop")
        yield "data: [DONE]\n\n"
    finally:
        if not ended:
            frames.closed = True
            reply.stop()


__all__ = ["OpenAIError", "completion_text", "message_text", "register_openai"]
