"""docs/recipes.md, tried in Chromium (issue 9, item 2): <chat-bot> driven by a page with a
backend of its own, from the raw modules as npm ships them, and the server-side recipes."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from harness import ChatController, free_port
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def static_site() -> Iterator[str]:
    """The repository over plain HTTP: e2e/recipes/ pages and webcomponent/'s raw modules."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(ROOT))
    handler.log_message = lambda *args: None  # type: ignore[assignment]
    handler.extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def open_own_backend(page: Page, static_site: str) -> ChatController:
    chat = ChatController(page)
    page.goto(f"{static_site}/e2e/recipes/own-backend.html")
    expect(chat.messages).to_have_count(3)
    return chat


def test_a_prefilled_conversation_and_the_bot_speaking_first(page: Page, static_site: str) -> None:
    chat = open_own_backend(page, static_site)
    expect(chat.messages.nth(0)).to_contain_text("What is this?")
    expect(chat.messages.nth(1)).to_contain_text("A chat on a page of its own.")
    expect(chat.messages.nth(2)).to_contain_text("Hello! Ask me anything.")
    assert chat.element.get_attribute("data-connection") is None  # no server of ours


def test_the_page_s_own_backend_answers_and_streams(page: Page, static_site: str) -> None:
    chat = open_own_backend(page, static_site)
    chat.send("how are you")
    expect(chat.latest_assistant()).to_have_attribute("data-status", "streaming")
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("You asked: how are you")
    expect(chat.latest_assistant()).to_have_attribute("data-status", "done")
    chat.expect_idle()
    chat.send("again")  # the turn ended: the reader may send again
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("You asked: again")


def test_a_button_outside_the_chat_asks_a_question(page: Page, static_site: str) -> None:
    chat = open_own_backend(page, static_site)
    page.get_by_role("button", name="What does it cost?").click()
    expect(chat.user_messages.last).to_contain_text("What does it cost?")
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("You asked: What does it cost?")


def test_a_side_panel_fed_by_the_conversation(page: Page, static_site: str) -> None:
    chat = open_own_backend(page, static_site)
    chat.send("one")
    expect(page.locator("#answers li").last).to_have_text("You asked: one")
    chat.expect_idle()
    chat.send("two")
    expect(page.locator("#answers li").last).to_have_text("You asked: two")
