"""One access policy at every door (issue 18, item 1; access/policy.py): ``authorize(request)`` asked by
every route that serves or takes a conversation's data, and API keys guarding ``/api/*`` and
``/v1/*`` alike, sent as ``Authorization: Bearer <key>`` in any case of ``Bearer``."""

from __future__ import annotations

import http.client
import json
import re
from typing import Any

import openai
import pytest
import websocket
from flask import Flask, Request, redirect

from flask_chatbot import chat_bp

# The routes any page may load: the element's code and the page's stylesheet and script.
OPEN = {"static", "element_module", "element_stylesheet", "page_css", "custom_css", "custom_js"}


def call(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, answer


def passes(request: Request) -> bool:
    return request.headers.get("X-Pass") == "yes" or request.cookies.get("signed_in") == "yes"


@pytest.fixture
def full_chat(serve_app, tmp_path, monkeypatch):
    """A chat with every door open: uploads, files, saved chats, the HTTP API, the OpenAI endpoint."""
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "store"))

    def start(**options: Any):
        app = Flask(__name__)
        app.register_blueprint(
            chat_bp(
                lambda message, history: f"echo: {message['text'] if isinstance(message, dict) else message}",
                multimodal=True,
                openai_compatible=True,
                save_history=True,
                history_store=str(tmp_path / "history.db"),
                history_user=lambda: "ada",
                **options,
            ),
            url_prefix="/chat",
        )
        return app, serve_app(app)

    return start


def doors(app: Flask) -> dict[str, tuple[str, str]]:
    """Every route of the chat's blueprint: endpoint -> (method, a concrete path)."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("chat."):
            continue
        path = re.sub(r"<any\('([^']+)'[^>]*>", r"\1", rule.rule)  # one of the files it serves
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: {"filename": "chat-bot.js"}.get(m.group(1), "A" * 32), path)
        method = next(m for m in ("GET", "POST", "PATCH", "DELETE") if m in rule.methods)
        found[rule.endpoint.removeprefix("chat.")] = (method, path)
    return found


def test_authorize_is_asked_at_every_door_but_the_element_s_code(full_chat) -> None:
    app, server = full_chat(authorize=passes)
    routes = doors(app)
    # Every route the blueprint has is named here: a new one must be sorted into a door or open code.
    assert {
        "page",
        "config",
        "socket",
        "files",
        "upload",
        "api",
        "api_info",
        "openai_models",
        "openai_completions",
        "history_list",
        "history_get",
        "history_rename",
        "history_delete",
    } <= set(routes)
    open_routes = {name for name in routes if name in OPEN or name.startswith("element_")}
    shut = set(routes) - open_routes
    assert len(shut) == 13
    for name, (method, path) in routes.items():
        if name == "socket":
            continue
        body = {} if method in ("POST", "PATCH") else None
        status, _, answer = call(server.port, method, path, body=body)
        if name in open_routes:
            assert status == 200, (name, status)
        else:
            assert status == 403, (name, status, answer)
            # Every door says why in the same words, never with a traceback.
            assert b"You may not use this chat." in answer and b"Traceback" not in answer
            # Past the door, the route answers for itself (a 404 for an id that does not exist...).
            status, _, answer = call(server.port, method, path, headers={"X-Pass": "yes"}, body=body)
            assert b"You may not use this chat." not in answer, (name, status)
    # The socket's handshake is refused before it becomes a socket; a reader who passes chats.
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"ws://127.0.0.1:{server.port}/chat/socket", timeout=10)
    assert refused.value.status_code == 403
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/chat/socket", timeout=10, cookie="signed_in=yes")
    try:
        ws.send(json.dumps({"type": "hello", "version": 1, "history": []}))
        assert json.loads(ws.recv())["type"] == "welcome"
        ws.send(json.dumps({"type": "submit", "id": "u1", "text": "hi"}))
        frames = []
        while not frames or frames[-1]["type"] != "idle":
            frames.append(json.loads(ws.recv()))
        assert [f["content"] for f in frames if f["type"] == "done"] == ["echo: hi"]
    finally:
        ws.close()


def test_the_page_may_send_authorize_s_own_answer_and_the_other_doors_say_403(full_chat) -> None:
    _, server = full_chat(authorize=lambda request: passes(request) or redirect("/sign-in?next=/chat/"))
    status, headers, _ = call(server.port, "GET", "/chat/")
    assert status == 302 and headers["location"] == "/sign-in?next=/chat/"
    status, headers, answer = call(server.port, "GET", "/chat/config.json")
    assert status == 403 and json.loads(answer)["error"]["code"] == "forbidden"
    assert call(server.port, "GET", "/chat/", headers={"X-Pass": "yes"})[0] == 200


def test_an_authorize_that_raises_refuses_without_a_traceback(full_chat, caplog) -> None:
    def broken(request: Request) -> bool:
        raise RuntimeError("secret-db-password in the message")

    _, server = full_chat(authorize=broken)
    for path in ("/chat/", "/chat/config.json", "/chat/history"):
        status, _, answer = call(server.port, "GET", path)
        assert status == 403 and b"secret-db-password" not in answer and b"Traceback" not in answer
    assert "authorize() raised" in caplog.text  # the operator learns why


@pytest.mark.parametrize("option", ["api_key", "openai_api_key"])
def test_one_key_guards_the_http_api_and_the_openai_endpoint(full_chat, option) -> None:
    _, server = full_chat(**{option: ["sk-first", "sk-second"]})
    port = server.port
    question = {"message": "hi"}
    # Without a key, or with a wrong one: 401 on both programmatic doors, and nothing runs.
    for headers, code in (
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer sk-wrong"}, "invalid_api_key"),
        ({"Authorization": "Basic c2stZmlyc3Q="}, "missing_api_key"),
    ):
        status, answer_headers, answer = call(port, "POST", "/chat/api/chat", headers=headers, body=question)
        assert status == 401 and json.loads(answer)["error"]["code"] == code
        assert answer_headers["www-authenticate"].startswith("Bearer")
        assert call(port, "GET", "/chat/api/info", headers=headers)[0] == 401
        status, _, answer = call(port, "GET", "/chat/v1/models", headers=headers)
        assert status == 401 and json.loads(answer)["error"]["code"] == code  # OpenAI's shape
    # Either key, with the scheme in any case.
    for scheme, key in (("Bearer", "sk-first"), ("bearer", "sk-second"), ("BEARER", "sk-first")):
        status, _, answer = call(
            port, "POST", "/chat/api/chat", headers={"Authorization": f"{scheme} {key}"}, body=question
        )
        assert status == 200 and json.loads(answer)["response"] == "echo: hi"
    with openai.OpenAI(base_url=f"{server.url}/chat/v1", api_key="sk-second", max_retries=0) as client:
        reply = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "echo: hi"
    with openai.OpenAI(base_url=f"{server.url}/chat/v1", api_key="sk-wrong", max_retries=0) as client:
        with pytest.raises(openai.AuthenticationError):
            client.models.list()
    # The keys are the programs' door: the page and the socket stay as authorize (here: none) says.
    assert call(port, "GET", "/chat/")[0] == 200


def test_a_key_stands_in_for_authorize_on_the_api_and_nowhere_else(full_chat) -> None:
    _, server = full_chat(authorize=passes, api_key="sk-program")
    key = {"Authorization": "Bearer sk-program"}
    status, _, answer = call(server.port, "POST", "/chat/api/chat", headers=key, body={"message": "hi"})
    assert status == 200 and json.loads(answer)["response"] == "echo: hi"
    # Passing authorize is not enough where a key is required...
    assert call(server.port, "POST", "/chat/api/chat", headers={"X-Pass": "yes"}, body={"message": "hi"})[0] == 401
    # ...and the key opens no other door.
    for path in ("/chat/", "/chat/config.json", "/chat/history"):
        assert call(server.port, "GET", path, headers=key)[0] == 403


def test_a_cors_preflight_is_not_asked_for_credentials(full_chat) -> None:
    _, server = full_chat(authorize=passes, allowed_origins=["https://blog.example.com"])
    status, headers, _ = call(
        server.port,
        "OPTIONS",
        "/chat/upload",
        headers={
            "Origin": "https://blog.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-upload-key",
        },
    )
    assert status == 200 and headers["access-control-allow-origin"] == "https://blog.example.com"
    status, _, _ = call(server.port, "POST", "/chat/upload", headers={"Origin": "https://blog.example.com"})
    assert status == 403


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"authorize": "admins"}, "authorize must be a function"),
        ({"api_key": ""}, "api_key must be a key string"),
        ({"api_key": [" sk-x"]}, "api_key must be a key string"),
        ({"api_key": "a", "openai_api_key": "b"}, "not both"),
    ],
)
def test_bad_access_options_are_refused_at_start_up(options: dict[str, Any], problem: str) -> None:
    from flask_chatbot import OptionsError

    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: message, **options)
