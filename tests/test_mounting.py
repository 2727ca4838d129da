"""chat_bp mounted anywhere (issue 9, item 9): at the root of a default Flask app, whose own
/static rule must not hide the element's files."""

from __future__ import annotations

import http.client

from flask import Flask
from live import Client

from flask_chatbot import chat_bp


def test_mounted_at_the_root_of_a_default_app_the_page_loads_and_chats(serve_app) -> None:
    app = Flask(__name__)  # with its own static folder rule, /static/<path:filename>
    app.register_blueprint(chat_bp(lambda message, history: f"echo {message['text']}", multimodal=True), url_prefix="/")
    server = serve_app(app)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for path, kind in (
        ("/", "text/html"),
        ("/page.css", "text/css"),
        ("/static/chat-bot.js", "text/javascript"),
        ("/static/styles.css", "text/css"),
        ("/static/composer/attachments.js", "text/javascript"),
        ("/config.json", "application/json"),
    ):
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200 and response.getheader("Content-Type").startswith(kind), path
        if path == "/":
            assert b'src="/static/chat-bot.js"' in body and b'<chat-bot class="chat-page__chat" src="/">' in body
    connection.close()
    client = Client(f"ws://127.0.0.1:{server.port}/socket")
    assert client.hello()["type"] == "welcome"
    frames = client.turn("hi")
    assert [f["content"] for f in frames if f["type"] == "done"] == ["echo hi"]
    client.close()
