"""The OpenAI-compatible endpoint (issue 10, items 3 and 6), with the official `openai`
package as the client: models, completions streamed and not, the history fn gets, errors in
OpenAI's shape, the bearer-token check, a client leaving mid-stream."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from flask import Flask
from live import LiveServer

from flask_chatbot import ChatMessage, Error, OptionsError, chat_bp

PACE = threading.Event()  # never set: fn waits on it as a model takes time per token
CLOSED = threading.Event()
KEY = "sk-test-123"


def assistant(message: str, history: list[dict[str, Any]]) -> Iterator[Any]:
    """Thinks, then answers what it was told and what it knows."""
    if message == "fail":
        raise Error("Out of tokens.")
    if message == "endless":
        text = ""
        try:
            for n in range(100_000):
                PACE.wait(0.005)
                text += f"token {n} "
                yield text
        finally:
            CLOSED.set()
    thought = ChatMessage(content="checking the notes", metadata={"title": "Thinking"})
    text = ""
    for word in f"{message}, after {len(history)} ({', '.join(m['role'] for m in history)})".split():
        text += word + " "
        PACE.wait(0.005)
        yield [thought, text.strip()]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(assistant, openai_compatible=True, openai_model="notes-bot", openai_api_key=KEY,
                                   stream_interval=0), url_prefix="/bot")
    app.register_blueprint(chat_bp(assistant, name="open", openai_compatible=True), url_prefix="/open")
    app.register_blueprint(chat_bp(assistant, name="closed"), url_prefix="/closed")
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/bot/v1", api_key=KEY, max_retries=0)


def test_the_models_list_names_the_bot(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["notes-bot"]


def test_a_completion_answers_with_the_history_fn_got(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="notes-bot", messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": [{"type": "text", "text": "Summarise"}]},
    ], temperature=0.2)
    choice = completion.choices[0]
    # The thought stays out of the answer; fn got the system message and the turns before.
    assert choice.message.content == "Summarise, after 3 (system, user, assistant)"
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    assert completion.model == "notes-bot" and completion.id.startswith("chatcmpl-")
    assert completion.usage is None  # not counted: left out, not made up


def test_a_streamed_completion_comes_in_pieces_and_ends(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="notes-bot", stream=True,
                                            messages=[{"role": "user", "content": "stream this answer"}])
    pieces, finish = [], None
    for chunk in stream:
        delta = chunk.choices[0].delta
        if delta.content:
            pieces.append(delta.content)
        finish = chunk.choices[0].finish_reason or finish
    assert len(pieces) > 2 and "".join(pieces) == "stream this answer, after 0 ()"
    assert finish == "stop"


@pytest.mark.parametrize(
    ("kwargs", "error", "status", "mentions"),
    [
        ({"model": "gpt-4"}, openai.NotFoundError, 404, "does not exist"),
        ({"messages": []}, openai.BadRequestError, 400, "non-empty"),
        ({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
         openai.BadRequestError, 400, "last message"),
        ({"messages": [{"role": "tool", "content": "x"}]}, openai.BadRequestError, 400, "role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}]},
         openai.BadRequestError, 400, "only text"),
        ({"n": 2}, openai.BadRequestError, 400, "n=1"),
        ({"extra_body": {"tempreature": 1}}, openai.BadRequestError, 400, "tempreature"),
        ({"messages": [{"role": "user", "content": "fail"}]}, openai.InternalServerError, 500, "Out of tokens."),
    ],
)
def test_bad_requests_get_openai_s_errors(client: openai.OpenAI, kwargs: dict[str, Any], error: type, status: int,
                                          mentions: str) -> None:
    call = {"model": "notes-bot", "messages": [{"role": "user", "content": "hi"}], **kwargs}
    with pytest.raises(error) as raised:
        client.chat.completions.create(**call)
    assert raised.value.status_code == status and mentions in raised.value.message
    body = raised.value.body
    assert set(body) >= {"message", "type", "param", "code"}
    assert client.chat.completions.create(model="notes-bot", messages=[{"role": "user", "content": "still"}]).choices


def test_the_bearer_key_is_checked_and_the_endpoint_is_off_by_default(server: LiveServer) -> None:
    wrong = openai.OpenAI(base_url=f"{server.url}/bot/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        wrong.models.list()
    assert refused.value.code == "invalid_api_key"
    anyone = openai.OpenAI(base_url=f"{server.url}/open/v1", api_key="anything", max_retries=0)
    assert anyone.chat.completions.create(model="open", messages=[{"role": "user", "content": "hi"}]).choices
    with pytest.raises(openai.NotFoundError):
        openai.OpenAI(base_url=f"{server.url}/closed/v1", api_key="x", max_retries=0).models.list()


def test_a_client_that_leaves_mid_stream_stops_fn(server: LiveServer, client: openai.OpenAI) -> None:
    CLOSED.clear()
    stream = client.chat.completions.create(model="notes-bot", stream=True,
                                            messages=[{"role": "user", "content": "endless"}])
    for chunk in stream:
        if "token 3" in (chunk.choices[0].delta.content or ""):
            break
    stream.close()
    assert CLOSED.wait(10), "fn was not closed"


def test_raw_http_shapes(server: LiveServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("POST", "/bot/v1/chat/completions", body=b"{nope", headers={"Authorization": f"Bearer {KEY}"})
    response = connection.getresponse()
    assert response.status == 400 and json.loads(response.read())["error"]["type"] == "invalid_request_error"
    connection.close()


@pytest.mark.parametrize("options, problem", [
    ({"openai_compatible": "yes"}, "openai_compatible"),
    ({"openai_model": "my bot", "openai_compatible": True}, "openai_model"),
    ({"openai_api_key": ""}, "openai_api_key"),
    ({"openai_model": "x"}, "set openai_compatible=True"),
])
def test_bad_openai_options_are_refused_at_start_up(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: message, **options)
