"""Every tab of a conversation live, in Chromium against the sample app's gunicorn config (two
gevent workers): a reader with the same saved chat open in two tabs sees, in each, the other's
question, the reply as it streams, and the feedback given in the other (issue 20, item 7).

The module is also the app these tests serve (``create_app``): "story N" streams N words, 20 a
second; the chat saves history in the browser (the panel lists the conversation to open).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from harness import ChatController, Gunicorn
from playwright.sync_api import BrowserContext, Page, expect

from flask_chatbot import chat_bp


def story(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def fn(message: str, history: list[dict]) -> Iterator[str]:
    n = int(message.split()[1])
    for i in range(1, n + 1):
        yield story(i)
        time.sleep(0.05)  # the app's pace (20 words a second), not the test's


def create_app() -> Flask:
    app = Flask(__name__)
    # flagging_mode="manual": the thumbs show (every feedback goes to the flag log).
    flags = os.environ["LIVE_TABS_FLAGS"]
    app.register_blueprint(
        chat_bp(fn, title="Live tabs", save_history=True, flagging_mode="manual", flagging_dir=flags),
        url_prefix="/chat",
    )
    return app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Gunicorn]:
    gunicorn = Gunicorn(
        "test_every_tab_live:create_app()",
        CHATBOT_UPLOAD_DIR=str(tmp_path / "store"),
        LIVE_TABS_FLAGS=str(tmp_path / "flags"),
    )
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


def second_tab(context: BrowserContext, page: Page, server: Gunicorn, title: str) -> ChatController:
    """Another tab of the same browser, on the saved chat ``title`` (from the history panel)."""
    expect(ChatController(page).element.locator("[part~=history-item]")).to_have_text([title])  # saved: listed
    other = ChatController(context.new_page())
    other.open(f"{server.url}/chat/")
    other.element.locator("[part~=history-item]", has_text=title).click()
    expect(other.user_messages.first).to_have_text(title)
    return other


def test_two_tabs_of_one_chat_show_each_others_question_reply_and_feedback(page: Page, server: Gunicorn) -> None:
    first = ChatController(page)
    first.open(f"{server.url}/chat/")
    second = ChatController(page.context.new_page())
    second.open(f"{server.url}/chat/")
    first.page.bring_to_front()
    first.send("story 3")
    first.expect_idle()
    # The chat the first tab saved shows in the second tab's list, which opens it.
    saved = second.element.locator("[part~=history-item]", has_text="story 3")
    expect(saved).to_be_visible()
    second.page.bring_to_front()
    saved.click()
    expect(second.user_messages).to_have_text(["story 3"])

    first.page.bring_to_front()
    first.send("story 40")
    # The other tab shows the question, then the reply as it streams, with Stop of its own.
    expect(second.user_messages).to_have_text(["story 3", "story 40"])
    expect(second.latest_assistant()).to_contain_text("w5")
    expect(second.stop_button).to_be_visible()
    expect(second.latest_assistant()).to_have_attribute("data-status", "streaming")
    first.expect_idle()
    second.expect_idle()
    for chat in (first, second):
        assert chat.latest_assistant().locator("[part~=content]").inner_text() == story(40)
        expect(chat.assistant_messages).to_have_count(2)

    # Feedback given in one tab shows in the other.
    second.page.bring_to_front()
    second.latest_assistant().locator("[part~=like]").click()
    expect(first.latest_assistant().locator("[part~=like]")).to_have_attribute("aria-pressed", "true")

    # The second tab goes on; the first shows its turn, and fn had the whole conversation.
    second.send("story 2")
    expect(first.user_messages).to_have_text(["story 3", "story 40", "story 2"])
    expect(first.latest_assistant().locator("[part~=content]")).to_have_text("w0 w1")
    expect(first.element.locator("[part~=error]")).to_have_count(0)
    expect(second.element.locator("[part~=error]")).to_have_count(0)


def test_stop_in_the_tab_that_watches_stops_the_reply_in_both(page: Page, server: Gunicorn) -> None:
    first = ChatController(page)
    first.open(f"{server.url}/chat/")
    first.send("story 2")
    first.expect_idle()
    second = second_tab(page.context, page, server, "story 2")
    first.page.bring_to_front()
    first.send("story 200")
    expect(second.latest_assistant()).to_contain_text("w3")
    second.page.bring_to_front()
    second.stop_button.click()
    first.expect_idle()
    second.expect_idle()
    shown = first.latest_assistant().locator("[part~=content]").inner_text()
    assert shown != story(200) and shown == second.latest_assistant().locator("[part~=content]").inner_text()


def test_a_tab_that_opens_the_chat_mid_reply_follows_it(page: Page, server: Gunicorn) -> None:
    first = ChatController(page)
    first.open(f"{server.url}/chat/")
    first.send("story 2")
    first.expect_idle()
    expect(first.element.locator("[part~=history-item]")).to_have_text(["story 2"])  # saved: listed
    first.send("story 100")
    expect(first.latest_assistant()).to_contain_text("w3")
    second = second_tab(page.context, page, server, "story 2")  # opened while the reply streams
    expect(second.latest_assistant()).to_have_attribute("data-status", "streaming")
    expect(second.stop_button).to_be_visible()
    first.expect_idle()
    second.expect_idle()
    assert second.latest_assistant().locator("[part~=content]").inner_text() == story(100)
    expect(second.element.locator("[part~=error]")).to_have_count(0)
    expect(second.user_messages).to_have_text(["story 2", "story 100"])
