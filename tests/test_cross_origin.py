"""The chat's answers to pages of other origins (issue 9, item 1): the element's files and
config.json for anyone, the socket and uploads only for allowed origins, and URLs that name
this server."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
import websocket
from flask import Flask

from flask_chatbot import chat_bp

BLOG = "https://blog.example.com"


def get(
    port: int,
    path: str,
    origin: str | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = dict(headers or {})
    if origin:
        sent["Origin"] = origin
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


@pytest.fixture
def server(serve_app, tmp_path, monkeypatch):
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path))

    def start(config_origins: Any = None, **options: Any):
        app = Flask(__name__)
        if config_origins is not None:
            app.config["CHATBOT_ALLOWED_ORIGINS"] = config_origins
        app.register_blueprint(chat_bp(lambda m, h: "ok", multimodal=True, **options), url_prefix="/chat")
        return serve_app(app)

    return start


@pytest.mark.parametrize(
    "path",
    [
        "/chat/static/chat-bot.js",
        "/chat/static/styles.css",
        "/chat/static/composer/attachments.js",
        "/chat/static/element.js",
        "/chat/config.json",
    ],
)
def test_the_element_s_files_and_config_are_public(server, path) -> None:
    port = server().port
    status, headers, _ = get(port, path, origin="https://anyone.example")
    assert status == 200 and headers["access-control-allow-origin"] == "*"


def test_the_page_the_socket_and_files_are_not_public(server) -> None:
    port = server().port
    for path in ("/chat/", "/chat/files/" + "A" * 24):
        assert "access-control-allow-origin" not in get(port, path, origin=BLOG)[1]


@pytest.mark.parametrize(
    ("options", "config_origins", "allowed"),
    [
        ({}, None, False),
        ({"allowed_origins": [BLOG]}, None, True),
        ({}, BLOG, True),
        ({}, f"https://other.example, {BLOG}", True),
        ({}, [BLOG + "/"], True),
        ({}, "https://other.example", False),
    ],
)
def test_allowed_origins_and_the_app_s_config_decide_who_may_chat(server, options, config_origins, allowed) -> None:
    port = server(config_origins, **options).port
    config = json.loads(get(port, "/chat/config.json", origin=BLOG)[2])
    assert config["origin_allowed"] is allowed
    url = f"ws://127.0.0.1:{port}/chat/socket"
    if allowed:
        client = websocket.create_connection(url, origin=BLOG, timeout=10)
        client.send(json.dumps({"type": "hello", "version": 1, "history": []}))
        assert json.loads(client.recv())["type"] == "welcome"
        client.close()
    else:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(url, origin=BLOG, timeout=10)
        assert refused.value.status_code == 403


def test_a_page_of_this_origin_is_allowed_without_configuration(server) -> None:
    port = server().port
    config = json.loads(get(port, "/chat/config.json", origin=f"http://127.0.0.1:{port}")[2])
    assert config["origin_allowed"] is True and config["upload"] == "/chat/upload"  # paths, as before


def test_urls_given_to_another_origin_name_this_server(server, tmp_path) -> None:
    avatar = tmp_path / "me.png"
    avatar.write_bytes(b"\x89PNG")
    port = server(allowed_origins=[BLOG], avatar_images=(str(avatar), None)).port
    config = json.loads(get(port, "/chat/config.json", origin=BLOG)[2])
    assert config["upload"] == f"http://127.0.0.1:{port}/chat/upload"
    assert config["avatar_images"][0].startswith(f"http://127.0.0.1:{port}/chat/files/")


def test_an_upload_from_an_allowed_origin_gets_its_cors_answer_and_others_none(server) -> None:
    port = server(allowed_origins=[BLOG]).port
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-chatbot-upload-key,content-type",
    }
    status, headers, _ = get(port, "/chat/upload?name=a.png", origin=BLOG, method="OPTIONS", headers=preflight)
    assert status == 200 and headers["access-control-allow-origin"] == BLOG
    assert (
        "X-Chatbot-Upload-Key" in headers["access-control-allow-headers"]
        and headers["access-control-allow-methods"] == "POST"
    )
    page = websocket.create_connection(f"ws://127.0.0.1:{port}/chat/socket", origin=BLOG, timeout=10)
    page.send(json.dumps({"type": "hello", "version": 1, "history": []}))
    key = json.loads(page.recv())["upload_key"]
    page.close()
    status, headers, _ = get(
        port,
        "/chat/upload?name=a.png",
        origin=BLOG,
        method="POST",
        body=b"x",
        headers={"X-Chatbot-Upload-Key": key, "Content-Type": "image/png"},
    )
    assert status == 201 and headers["access-control-allow-origin"] == BLOG
    status, headers, _ = get(
        port, "/chat/upload?name=a.png", origin="https://evil.example", method="OPTIONS", headers=preflight
    )
    assert status == 403 and "access-control-allow-origin" not in headers


WILDCARD = "https://*.example.com"
# Origins a browser may send, and whether "https://*.example.com" lets each in.
SUBDOMAIN_ORIGINS = [
    ("https://a.example.com", True),
    ("https://a.b.example.com", True),
    ("https://A.Example.com:443", True),  # the default port, any case: the same origin
    ("https://example.com", False),  # the domain itself is not one of its subdomains
    ("https://evilexample.com", False),
    ("https://a.example.com.evil.test", False),
    ("http://a.example.com", False),  # the scheme stays exact
    ("https://a.example.com:8443", False),  # and the port
]


def every_route_s_answer(port: int, origin: str) -> dict[str, Any]:
    """What each request acting for the reader gets from a page of ``origin``: config.json's
    origin_allowed, the socket's handshake, the upload's preflight, the HTTP API, the OpenAI
    endpoint and renaming a saved chat (403 is the Origin check's answer)."""
    seen: dict[str, Any] = {"config": json.loads(get(port, "/chat/config.json", origin=origin)[2])["origin_allowed"]}
    try:
        websocket.create_connection(f"ws://127.0.0.1:{port}/chat/socket", origin=origin, timeout=10).close()
        seen["socket"] = 101
    except websocket.WebSocketBadStatusException as refused:
        seen["socket"] = refused.status_code
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-chatbot-upload-key"}
    status, headers, _ = get(port, "/chat/upload?name=a.png", origin=origin, method="OPTIONS", headers=preflight)
    seen["upload"] = (status, headers.get("access-control-allow-origin"))
    as_json = {"Content-Type": "application/json"}
    seen["api"] = get(
        port,
        "/chat/api/chat",
        origin=origin,
        method="POST",
        headers=as_json,
        body=json.dumps({"message": "hi", "history": []}).encode(),
    )[0]
    seen["openai"] = get(
        port,
        "/chat/v1/chat/completions",
        origin=origin,
        method="POST",
        headers=as_json,
        body=json.dumps({"model": "chat", "messages": [{"role": "user", "content": "hi"}]}).encode(),
    )[0]
    seen["history"] = get(
        port, "/chat/history/" + "c" * 16, origin=origin, method="PATCH", headers=as_json, body=b'{"title": "renamed"}'
    )[0]
    return seen


@pytest.mark.parametrize(("origin", "allowed"), SUBDOMAIN_ORIGINS)
def test_a_subdomain_wildcard_lets_in_the_subdomains_on_every_route_and_nothing_else(
    server, tmp_path, origin, allowed
) -> None:
    port = server(
        allowed_origins=[WILDCARD],
        openai_compatible=True,
        save_history=True,
        history_store=tmp_path / "history.sqlite3",
        history_user=lambda: None,
    ).port
    seen = every_route_s_answer(port, origin)
    if allowed:
        # Past the Origin check each route answers for itself: nobody is signed in to rename a chat (401).
        assert seen == {
            "config": True,
            "socket": 101,
            "upload": (200, origin),
            "api": 200,
            "openai": 200,
            "history": 401,
        }
    else:
        assert seen == {
            "config": False,
            "socket": 403,
            "upload": (403, None),
            "api": 403,
            "openai": 403,
            "history": 403,
        }


@pytest.mark.parametrize("config_origins", [WILDCARD, ["https://blog.example.org", WILDCARD + "/"]])
def test_the_app_s_config_takes_the_wildcard_too(server, config_origins) -> None:
    port = server(config_origins).port
    assert every_route_s_answer(port, "https://docs.example.com")["socket"] == 101
    assert every_route_s_answer(port, "https://example.com")["socket"] == 403


def test_a_wildcard_over_a_top_level_domain_in_the_app_s_config_lets_nobody_in(server) -> None:
    # chat_bp() refuses it (tests/test_options.py); the config is not checked, so the match refuses it.
    port = server("https://*.com").port
    assert every_route_s_answer(port, "https://anyone.com")["socket"] == 403
