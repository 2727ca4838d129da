"""Unrelated apps never share a store (issue 18, item 9): without CHATBOT_UPLOAD_DIR each chat's
files, API sessions and cached example answers are in a folder of its own app, and a cached
answer belongs to the fn that made it (a changed fn computes its own)."""

from __future__ import annotations

import http.client
import importlib.util
import re
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask
from live import Client, final_text

from flask_chatbot import chat_bp

APP = """
def respond(message, history):
    return "{answer}"
"""


@pytest.fixture(autouse=True)
def own_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CHATBOT_UPLOAD_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


def load(folder: Path, answer: str) -> ModuleType:
    """An app's module at ``folder/bot.py`` whose fn ``respond`` answers ``answer``: each app has
    the same module, fn name and examples, as the issue's two apps had."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bot.py").write_text(APP.format(answer=answer))
    spec = importlib.util.spec_from_file_location("bot", folder / "bot.py")  # one module name, as two apps' "app"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_answer(serve_app, module: ModuleType) -> str:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(module.respond, examples=["hello"], cache_examples=True, cache_mode="lazy"), url_prefix="/chat"
    )
    server = serve_app(app)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.hello()
    client.send({"type": "submit", "id": "u1", "text": "hello", "example": 0})
    frames = client.recv_until("idle")
    # The reply as the element ends with it: a done frame, or a cached one sent whole.
    shown = [f["message"]["content"] for f in frames if f["type"] == "message" and f["message"]["role"] == "assistant"]
    (answer,) = list(final_text(frames).values()) or [text for text in shown if text]
    client.close()
    return answer


def test_two_apps_with_the_same_fn_and_examples_each_get_their_own_answer(serve_app, tmp_path, own_temp_dir) -> None:
    shop, notes = load(tmp_path / "shop", "from the shop"), load(tmp_path / "notes", "from the notes")
    assert example_answer(serve_app, shop) == "from the shop"
    assert example_answer(serve_app, notes) == "from the notes"  # not the shop's cached answer
    assert example_answer(serve_app, shop) == "from the shop"
    # Each app's store is a folder of its own, in a folder private to the user.
    user_root = next(own_temp_dir.glob("flask-chatbot-*"))
    assert len([p for p in user_root.iterdir() if p.is_dir()]) == 2


def test_an_app_restarted_with_a_changed_fn_does_not_get_its_old_answer(serve_app, tmp_path) -> None:
    assert example_answer(serve_app, load(tmp_path / "app", "first version")) == "first version"
    assert example_answer(serve_app, load(tmp_path / "app", "second version")) == "second version"


def test_two_chats_of_one_app_keep_their_files_apart(serve_app, tmp_path) -> None:
    made = tmp_path / "secret.txt"
    made.write_text("chat A's file")
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(lambda m, h: {"path": str(made)}, name="a", allowed_paths=[str(tmp_path)]), url_prefix="/a"
    )
    app.register_blueprint(chat_bp(lambda m, h: "b", name="b"), url_prefix="/b")
    server = serve_app(app)
    client = Client(f"ws://127.0.0.1:{server.port}/a/socket")
    client.hello()
    frames = client.turn("hi")
    html = next(f for f in frames if f["type"] == "done")["html"]
    file_id = re.search(r"/a/files/([A-Za-z0-9_-]{24})", html)[1]

    for mount, expected in (("/a", 200), ("/b", 404)):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", f"{mount}/files/{file_id}")
        response = connection.getresponse()
        # Read to the end as a browser does: the development server leaks the file it was
        # sending when a client hangs up mid-body (werkzeug's run_wsgi skips close() then).
        body = response.read()
        assert (response.status, body == b"chat A's file") == (expected, expected == 200)
        connection.close()
