"""Security behaviour end to end (docs/security.md): the socket's Origin check (scheme and
DNS rebinding), the headers of every response, the page's and the sample app's policies,
and what sanitize_html=False does and does not trust."""

from __future__ import annotations

import http.client
import logging
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import websocket
from flask import Flask
from live import Client, LiveServer
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_chatbot import chat_bp
from flask_chatbot.blueprint import local_address, origin_allowed, origin_refusal


def respond(message: str, history: list[dict[str, Any]]) -> str:
    return message


def refused(url: str, **kwargs: Any) -> websocket.WebSocketBadStatusException:
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        Client(url, **kwargs)
    return info.value


def chat_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    app.register_blueprint(chat_bp(respond), url_prefix="/chat")
    return app


def socket_url(server: LiveServer) -> str:
    return f"ws://127.0.0.1:{server.port}/chat/socket"


def refusal_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "flask_chatbot" and r.levelno == logging.WARNING]


# -- the Origin check: scheme ------------------------------------------------------------


def test_an_https_page_cannot_open_the_socket_of_a_plain_http_request(serve, caplog):
    # Same host and port, other scheme: another origin (docs/protocol.md, "Connection").
    server = serve(respond)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        error = refused(socket_url(server), origin=f"https://127.0.0.1:{server.port}")
    assert error.status_code == 403
    (warning,) = refusal_warnings(caplog)
    assert "ProxyFix" in warning and "x_proto=1" in warning  # the hint for TLS ended at a proxy
    same = Client(socket_url(server), origin=f"http://127.0.0.1:{server.port}")
    assert same.hello()["type"] == "welcome"
    same.close()


def test_behind_a_tls_proxy_proxyfix_makes_the_https_page_same_origin(serve_app):
    app = chat_app()
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    server = serve_app(app)
    client = Client(socket_url(server), origin=f"https://127.0.0.1:{server.port}", header=["X-Forwarded-Proto: https"])
    assert client.hello()["type"] == "welcome"
    client.close()
    # ...and the plain-http page of the same host is now the other origin.
    assert (
        refused(
            socket_url(server), origin=f"http://127.0.0.1:{server.port}", header=["X-Forwarded-Proto: https"]
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("origin", "scheme", "host"),
    [
        ("https://example.com", "http", "example.com"),
        ("https://example.com", "http", "example.com:443"),
        ("http://example.com", "https", "example.com"),
        ("https://localhost:5000", "http", "localhost:5000"),
    ],
)
def test_the_scheme_is_part_of_the_origin(origin: str, scheme: str, host: str) -> None:
    reason = origin_refusal(origin, scheme=scheme, host=host, allowed=(), local_address="203.0.113.7")
    assert reason is not None and "ProxyFix" in reason


# -- the Origin check: DNS rebinding -------------------------------------------------------


def test_dns_rebinding_to_a_loopback_server_is_refused(serve, caplog):
    # evil.test resolves to 127.0.0.1: its page's origin and the Host both say evil.test.
    server = serve(respond)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        error = refused(socket_url(server), origin=f"http://evil.test:{server.port}", host=f"evil.test:{server.port}")
    assert error.status_code == 403
    assert error.resp_headers["content-type"].startswith("text/plain")
    assert b"evil.test" not in error.resp_body  # the body echoes nothing of the request
    (warning,) = refusal_warnings(caplog)
    assert "TRUSTED_HOSTS" in warning and "rebinding" in warning


def get_status(server: LiveServer, path: str, host: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_dns_rebinding_cannot_read_files_history_or_the_api_description(serve_app, tmp_path, caplog):
    # Reads carry no Origin: a rebinding page's same-origin GET shows only in its Host.
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(
            lambda message, history: message,
            save_history=True,
            history_store=str(tmp_path / "history.sqlite3"),
            history_user=lambda: "ada",
        ),
        url_prefix="/chat",
    )
    server = serve_app(app)
    reads = ["/chat/history", "/chat/history/c1", "/chat/api/info", "/chat/files/" + "0" * 32]
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        for path in reads:
            assert get_status(server, path, f"evil.test:{server.port}") == 403, path
    assert "rebinding" in caplog.text
    assert get_status(server, "/chat/history", f"127.0.0.1:{server.port}") == 200
    assert get_status(server, "/chat/api/info", f"localhost:{server.port}") == 200
    assert get_status(server, "/chat/history/c1", f"127.0.0.1:{server.port}") == 404  # none yet, but answered


@pytest.mark.parametrize("name", ["localhost", "chat.localhost", "127.0.0.1", "127.1.2.3"])
def test_loopback_names_and_ip_addresses_are_served_on_loopback(serve, name):
    server = serve(respond)
    client = Client(socket_url(server), origin=f"http://{name}:{server.port}", host=f"{name}:{server.port}")
    assert client.hello()["type"] == "welcome"
    client.close()


def test_trusted_hosts_lets_the_app_s_name_in_on_loopback(serve_app):
    # Behind a reverse proxy on the same machine every connection is a loopback one.
    server = serve_app(chat_app(TRUSTED_HOSTS=["chat.example"]))
    client = Client(socket_url(server), origin=f"http://chat.example:{server.port}", host=f"chat.example:{server.port}")
    assert client.hello()["type"] == "welcome"
    client.close()
    # Any other name is refused by werkzeug itself (400) before the Origin check runs.
    error = refused(socket_url(server), origin=f"http://evil.test:{server.port}", host=f"evil.test:{server.port}")
    assert error.status_code == 400


def test_server_name_lets_the_app_s_name_in_and_no_other(serve_app, caplog):
    # Flask 3.1 routes requests for any Host even with SERVER_NAME set: the check must not.
    server = serve_app(chat_app(SERVER_NAME="chat.example"))
    client = Client(socket_url(server), origin=f"http://chat.example:{server.port}", host=f"chat.example:{server.port}")
    assert client.hello()["type"] == "welcome"
    client.close()
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        error = refused(socket_url(server), origin=f"http://evil.test:{server.port}", host=f"evil.test:{server.port}")
    assert error.status_code == 403
    (warning,) = refusal_warnings(caplog)
    assert "TRUSTED_HOSTS" in warning


@pytest.mark.parametrize(
    ("host", "local", "trusted", "allowed"),
    [
        ("evil.test", "127.0.0.1", (), False),  # a dev server: the rebinding attack
        ("evil.test", "127.8.0.1", (), False),
        ("evil.test", "::1", (), False),
        ("evil.test", "::ffff:127.0.0.1", (), False),  # a dual-stack socket's view of 127.0.0.1
        ("evil.test", "localhost", (), False),
        ("chat.example", "203.0.113.7", (), True),  # a server reached on its public address
        ("chat.example", "10.0.0.5", (), True),
        ("chat.example", None, (), True),  # unknown (a unix socket): not treated as loopback
        ("chat.example", "127.0.0.1", ("chat.example",), True),
        ("chat.example", "127.0.0.1", (".example",), True),  # werkzeug's subdomain form
        ("chat.example", "203.0.113.7", ("other.example",), False),  # configured names are the rule
        ("localhost", "127.0.0.1", (), True),
        ("app.localhost", "127.0.0.1", (), True),
        ("127.0.0.1", "127.0.0.1", (), True),
        ("192.168.1.20", "127.0.0.1", (), True),
        ("[::1]", "::1", (), True),
        ("127.0.0.1", "127.0.0.1", ("chat.example",), True),  # an IP literal is never a rebinding page
    ],
)
def test_the_dns_rebinding_rule(host: str, local: str | None, trusted: tuple[str, ...], allowed: bool) -> None:
    origin = f"http://{host}:8000"
    result = origin_allowed(origin, f"{host}:8000", (), scheme="http", trusted_hosts=trusted, local_address=local)
    assert result is allowed


def test_listed_origins_need_no_trusted_host() -> None:
    assert origin_allowed(
        "https://docs.example", "evil.test", ("https://docs.example",), scheme="http", local_address="127.0.0.1"
    )


class _Socket:
    def __init__(self, name: Any) -> None:
        self.name = name

    def getsockname(self) -> Any:
        return self.name


@pytest.mark.parametrize(
    ("environ", "address"),
    [
        ({"werkzeug.socket": _Socket(("127.0.0.1", 5000)), "SERVER_NAME": "0.0.0.0"}, "127.0.0.1"),
        ({"gunicorn.socket": _Socket(("::1", 8000, 0, 0)), "SERVER_NAME": "::"}, "::1"),
        ({"gunicorn.socket": _Socket("/run/chat.sock"), "SERVER_NAME": "evil.test"}, None),  # a unix socket
        ({"SERVER_NAME": "127.0.0.1"}, "127.0.0.1"),
        ({}, None),
    ],
)
def test_the_local_address_is_the_connection_s_own_end(environ: dict[str, Any], address: str | None) -> None:
    # Bound to 0.0.0.0 (SERVER_NAME), the dev server still knows a connection came in on
    # 127.0.0.1; under gunicorn a unix socket's SERVER_NAME is the client's Host header.
    assert local_address(environ) == address


# -- headers -------------------------------------------------------------------------------


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@pytest.mark.parametrize("path", ["/chat/", "/chat/config.json", "/chat/page.css", "/chat/static/chat-bot.js"])
def test_every_response_of_the_blueprint_has_nosniff_and_no_referrer(path: str) -> None:
    response = chat_app().test_client().get(path)
    assert response.status_code == 200
    for header, value in SECURITY_HEADERS.items():
        assert response.headers[header] == value


@pytest.mark.parametrize(
    "path, status", [("/chat/no-such-page", 404), ("/chat/socket", 400), ("/chat/files/unknown", 404)]
)
def test_answers_no_view_of_the_chat_made_have_them_too(path: str, status: int) -> None:
    app = chat_app()

    @app.get("/elsewhere")
    def elsewhere() -> str:
        return "the app's own page"

    client = app.test_client()
    response = client.get(path)  # a 404 under the mount; the socket's URL without an upgrade
    assert response.status_code == status
    for header, value in SECURITY_HEADERS.items():
        assert response.headers[header] == value
    assert "X-Content-Type-Options" not in client.get("/elsewhere").headers  # the app's pages are its own


def test_the_refusal_s_log_line_names_what_was_refused(caplog: pytest.LogCaptureFixture) -> None:
    client = chat_app().test_client()
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        assert (
            client.post(
                "/chat/api/chat", json={"message": "hi"}, headers={"Origin": "https://evil.example"}
            ).status_code
            == 403
        )
    assert "Refused an API call at /chat/api/chat from Origin 'https://evil.example'" in caplog.text
    assert "WebSocket" not in caplog.text


def test_the_socket_s_403_has_the_headers_too(serve):
    server = serve(respond)
    error = refused(socket_url(server), origin="https://evil.example")
    assert error.status_code == 403
    assert error.resp_headers["x-content-type-options"] == "nosniff"
    assert error.resp_headers["referrer-policy"] == "no-referrer"


def test_the_app_s_own_header_values_win() -> None:
    app = chat_app()

    @app.after_request
    def referrer(response):  # type: ignore[no-untyped-def]
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    assert app.test_client().get("/chat/").headers["Referrer-Policy"] == "same-origin"


# -- content security policies ---------------------------------------------------------------


def _directives(csp: str) -> dict[str, str]:
    return {d.split()[0]: d.strip() for d in csp.split(";") if d.strip()}


def test_by_default_images_come_only_from_the_page_s_origin() -> None:
    # A prompt-injected reply must not be able to send data out in an image URL.
    csp = chat_app().test_client().get("/chat/").headers["Content-Security-Policy"]
    assert _directives(csp)["img-src"] == "img-src 'self' data: blob:"


@pytest.mark.parametrize(
    ("image_hosts", "img_src"),
    [
        (["images.example.com"], "img-src 'self' data: blob: https://images.example.com"),
        (
            ["images.example.com", "cdn.example.org"],
            "img-src 'self' data: blob: https://images.example.com https://cdn.example.org",
        ),
        (["*"], "img-src 'self' data: blob: https:"),
    ],
)
def test_image_hosts_are_added_to_img_src(image_hosts: list[str], img_src: str) -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(respond, image_hosts=image_hosts), url_prefix="/chat")
    csp = app.test_client().get("/chat/").headers["Content-Security-Policy"]
    assert _directives(csp)["img-src"] == img_src
    assert _directives(csp)["script-src"] == "script-src 'self'"


def test_an_explicit_policy_is_used_as_is_whatever_image_hosts_says() -> None:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(respond, image_hosts=["images.example.com"], content_security_policy="default-src 'self'"),
        url_prefix="/chat",
    )
    assert app.test_client().get("/chat/").headers["Content-Security-Policy"] == "default-src 'self'"


class _InlineCode(HTMLParser):
    """Collects what a strict CSP (no 'unsafe-inline') would block."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or (tag == "script" and "src" not in names):
            self.blocked.append(f"inline <{tag}>")
        self.blocked += [f"{name}= on <{tag}>" for name in names if name == "style" or name.startswith("on")]
        if any(value and value.strip().lower().startswith("javascript:") for _, value in attrs):
            self.blocked.append(f"javascript: URL on <{tag}>")


def test_the_sample_app_s_embed_page_has_a_strict_policy(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    from sample_app import create_app

    response = create_app().test_client().get("/embed")
    assert response.status_code == 200
    csp = _directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == "script-src 'self'"
    assert csp["style-src"] == "style-src 'self'"
    assert csp["object-src"] == "object-src 'none'" and csp["base-uri"] == "base-uri 'none'"
    # Inline style attributes only (HTML components may carry a cleaned style); never
    # inline <style> elements or scripts.
    assert "unsafe-inline" not in csp["script-src"] + csp["style-src"]
    assert csp["style-src-attr"] == "style-src-attr 'unsafe-inline'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # ...and the page works under it: nothing inline for the policy to block.
    parser = _InlineCode()
    parser.feed(response.text)
    assert parser.blocked == []
    assert re.search(r'<script type="module" src="/chat/static/chat-bot\.js">', response.text)


def test_the_embed_template_itself_has_no_inline_code() -> None:
    template = Path(__file__).parent.parent / "sample_app" / "templates" / "embed.html"
    parser = _InlineCode()
    parser.feed(template.read_text(encoding="utf-8"))
    assert parser.blocked == []


# -- sanitize_html=False trusts fn's replies, never the page's own text ------------------------


HOSTILE = '**hi** <img src=x onerror="alert(1)"> <script>alert(2)</script> <iframe src="https://evil.example"></iframe>'


def _assert_sanitized(html: str) -> None:
    assert "<strong>hi</strong>" in html
    assert "<script" not in html and "<iframe" not in html and "onerror" not in html


def test_description_and_placeholder_are_sanitized_even_with_sanitize_html_false() -> None:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(respond, sanitize_html=False, description=HOSTILE, placeholder=HOSTILE), url_prefix="/chat"
    )
    client = app.test_client()
    page = client.get("/chat/").text
    description = page.split('class="chat-page__description" dir="auto">', 1)[1].split("</div>", 1)[0]
    _assert_sanitized(description)
    _assert_sanitized(client.get("/chat/config.json").json["placeholder"])


def test_sanitize_html_false_still_trusts_the_replies_of_fn(connect):
    client = connect(lambda message, history: "<marquee>trusted</marquee>", sanitize_html=False)
    (done,) = [f for f in client.turn("hi") if f["type"] == "done"]
    assert "<marquee>trusted</marquee>" in done["html"]


# -- a hostile client ----------------------------------------------------------------------------


def test_a_frame_with_a_duplicate_key_gets_an_error_and_the_connection_goes_on(connect):
    client = connect(respond)
    client.send('{"type": "stop", "type": "submit", "id": "u1", "text": "hi"}')
    error = client.recv()
    assert (error["type"], error["code"]) == ("error", "bad_json")
    assert "duplicate key 'type'" in error["message"]
    assert [f["type"] for f in client.turn("still here")][-1] == "idle"


def test_the_static_route_serves_no_link(tmp_path) -> None:
    """A link left in the element's folder (a developer's checkout) publishes nothing: the static
    route answers 404 for a link, or a file reached through a linked folder (issue 18, item 10)."""
    from flask_chatbot.blueprint import webcomponent_dir

    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    folder = webcomponent_dir()
    link, linked_dir = folder / f"leak-{os.getpid()}.txt", folder / f"leakdir-{os.getpid()}"
    link.symlink_to(secret)
    linked_dir.symlink_to(tmp_path, target_is_directory=True)
    try:
        app = Flask(__name__)
        app.register_blueprint(chat_bp(lambda m, h: m), url_prefix="/chat")
        client = app.test_client()
        for path in (f"/chat/static/{link.name}", f"/chat/static/{linked_dir.name}/secret.txt"):
            response = client.get(path)
            assert response.status_code == 404 and b"not for the web" not in response.data
            response.close()
        served = client.get("/chat/static/element.js")  # the folder's own files still are
        assert served.status_code == 200
        served.close()
    finally:
        link.unlink()
        linked_dir.unlink()
