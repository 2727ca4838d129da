"""The OpenAI-compatible endpoint (issue 10, items 3 and 6), with the official `openai`
package as the client: models, completions streamed and not, the history fn gets, errors in
OpenAI's shape, the bearer-token check, a client leaving mid-stream."""

from __future__ import annotations

import http.client
import inspect
import json
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from flask import Flask
from live import LiveServer

from flask_chatbot import ChatMessage, Error, OptionsError, Textbox, chat_bp

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
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


def tool_aware(message: str, history: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None) -> str:
    """A fn that declares it takes the request's tools."""
    return "no tools" if tools is None else "tools: " + ", ".join(t["function"]["name"] for t in tools)


def tools_input(message: str, history: list[dict[str, Any]], tools: str) -> str:
    """An additional input that happens to be called tools: its place is the input's."""
    return f"input: {tools}"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(assistant, openai_compatible=True, openai_model="notes-bot", openai_api_key=KEY, stream_interval=0),
        url_prefix="/bot",
    )
    app.register_blueprint(chat_bp(assistant, name="open", openai_compatible=True), url_prefix="/open")
    app.register_blueprint(chat_bp(assistant, name="closed"), url_prefix="/closed")
    app.register_blueprint(chat_bp(tool_aware, name="tooled", openai_compatible=True), url_prefix="/tooled")
    app.register_blueprint(
        chat_bp(
            tools_input,
            name="input",
            openai_compatible=True,
            additional_inputs=[Textbox("the input's value", label="Tools")],
        ),
        url_prefix="/input",
    )
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.url}/bot/v1", api_key=KEY, max_retries=0) as client:  # its sockets closed
        yield client


def test_the_models_list_names_the_bot(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["notes-bot"]


def test_a_completion_answers_with_the_history_fn_got(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="notes-bot",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": [{"type": "text", "text": "Summarise"}]},
        ],
        temperature=0.2,
    )
    choice = completion.choices[0]
    # The thought stays out of the answer; fn got the system message and the turns before.
    assert choice.message.content == "Summarise, after 3 (system, user, assistant)"
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    assert completion.model == "notes-bot" and completion.id.startswith("chatcmpl-")
    assert completion.usage is None  # not counted: left out, not made up


def test_a_streamed_completion_comes_in_pieces_and_ends(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="notes-bot", stream=True, messages=[{"role": "user", "content": "stream this answer"}]
    )
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
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
            openai.BadRequestError,
            400,
            "last message",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, openai.BadRequestError, 400, "role"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}]},
            openai.BadRequestError,
            400,
            "only text",
        ),
        ({"n": 2}, openai.BadRequestError, 400, "n=1"),
        ({"extra_body": {"tempreature": 1}}, openai.BadRequestError, 400, "tempreature"),
        ({"extra_body": {"tools": "get_weather"}}, openai.BadRequestError, 400, "tools must be an array"),
        ({"messages": [{"role": "user", "content": "fail"}]}, openai.InternalServerError, 500, "Out of tokens."),
    ],
)
def test_bad_requests_get_openai_s_errors(
    client: openai.OpenAI, kwargs: dict[str, Any], error: type, status: int, mentions: str
) -> None:
    call = {"model": "notes-bot", "messages": [{"role": "user", "content": "hi"}], **kwargs}
    with pytest.raises(error) as raised:
        client.chat.completions.create(**call)
    assert raised.value.status_code == status and mentions in raised.value.message
    body = raised.value.body
    assert set(body) >= {"message", "type", "param", "code"}
    assert client.chat.completions.create(model="notes-bot", messages=[{"role": "user", "content": "still"}]).choices


def test_an_agent_s_tools_are_accepted_and_the_answer_is_fn_s_text(client: openai.OpenAI) -> None:
    # Agent frameworks send their tools with every call; OpenAI takes them, and so does this server.
    asked = {
        "model": "notes-bot",
        "messages": [{"role": "user", "content": "Weather in Oslo?"}],
        "tools": [WEATHER],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
    }
    completion = client.chat.completions.create(**asked)
    message = completion.choices[0].message
    assert message.content == "Weather in Oslo?, after 0 ()" and message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    streamed = client.chat.completions.create(**asked, stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in streamed) == "Weather in Oslo?, after 0 ()"
    legacy = client.chat.completions.create(
        model="notes-bot", messages=asked["messages"], functions=[WEATHER["function"]], function_call="auto"
    )
    assert legacy.choices[0].message.content == "Weather in Oslo?, after 0 ()"


def test_every_parameter_of_openai_s_endpoint_is_accepted(client: openai.OpenAI) -> None:
    # The official package's create() names what OpenAI's endpoint takes: none may be refused.
    from openai.resources.chat.completions import Completions

    taken = set(inspect.signature(Completions.create).parameters) - {"self", "model", "messages", "stream", "n"}
    body = {name: None for name in taken if not name.startswith("extra_") and name != "timeout"}
    assert {"tools", "tool_choice", "parallel_tool_calls", "temperature"} <= set(body)
    completion = client.chat.completions.create(
        model="notes-bot", messages=[{"role": "user", "content": "all"}], extra_body=body
    )
    assert completion.choices[0].message.content == "all, after 0 ()"


def test_a_fn_with_a_tools_keyword_gets_the_request_s_tools(server: LiveServer) -> None:
    ask = {"model": "tooled", "messages": [{"role": "user", "content": "hi"}]}
    with openai.OpenAI(base_url=f"{server.url}/tooled/v1", api_key="x", max_retries=0) as tooled:
        assert tooled.chat.completions.create(**ask, tools=[WEATHER]).choices[0].message.content == "tools: get_weather"
        assert tooled.chat.completions.create(**ask).choices[0].message.content == "no tools"  # fn's default
    # The page and the HTTP API have no tools: fn's default there too.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/tooled/api/chat",
        body=json.dumps({"message": "hi", "history": []}),
        headers={"Content-Type": "application/json"},
    )
    assert json.loads(connection.getresponse().read())["response"] == "no tools"
    connection.close()
    # A positional place called tools is an additional input's: the request's tools do not take it.
    with openai.OpenAI(base_url=f"{server.url}/input/v1", api_key="x", max_retries=0) as inputs:
        answer = inputs.chat.completions.create(model="input", messages=ask["messages"], tools=[WEATHER])
    assert answer.choices[0].message.content == "input: the input's value"


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
    stream = client.chat.completions.create(
        model="notes-bot", stream=True, messages=[{"role": "user", "content": "endless"}]
    )
    for chunk in stream:
        if "token 3" in (chunk.choices[0].delta.content or ""):
            break
    stream.close()
    assert CLOSED.wait(10), "fn was not closed"


def test_a_chunked_body_is_bounded_as_a_declared_one_is(server: LiveServer) -> None:
    big = json.dumps({"model": "notes-bot", "messages": [{"role": "user", "content": "x" * 1024 * 1024}]}).encode()
    small = json.dumps({"model": "notes-bot", "messages": [{"role": "user", "content": "small"}]}).encode()
    for body, status in ((big, 413), (small, 200)):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))  # no Content-Length: chunked
        connection.request(
            "POST",
            "/bot/v1/chat/completions",
            body=pieces,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        assert response.status == status, response.read()
        response.read()
        connection.close()


def test_raw_http_shapes(server: LiveServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("POST", "/bot/v1/chat/completions", body=b"{nope", headers={"Authorization": f"Bearer {KEY}"})
    response = connection.getresponse()
    assert response.status == 400 and json.loads(response.read())["error"]["type"] == "invalid_request_error"
    connection.close()


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"openai_compatible": "yes"}, "openai_compatible"),
        ({"openai_model": "my bot", "openai_compatible": True}, "openai_model"),
        ({"openai_api_key": ""}, "api_key must be a key string"),
        ({"openai_api_key": "a", "api_key": "b"}, "not both"),
        ({"openai_model": "x"}, "set openai_compatible=True"),
    ],
)
def test_bad_openai_options_are_refused_at_start_up(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: message, **options)
