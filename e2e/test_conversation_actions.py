"""Conversation actions in Chromium (issue 7): feedback, flags, retry, undo, clear, and where
focus goes; each checked on screen and where it lands in Python (listeners, flag log)."""

from __future__ import annotations

import csv
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import ChatController, Gunicorn, listener_events, wait_for_events
from playwright.sync_api import Page, expect

FLAGS = Path(tempfile.mkdtemp(prefix="e2e-flags-"))


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    server = Gunicorn(
        "display_app:create_app()", ready_path="/actions/", CHATBOT_WORKERS="1", CHATBOT_FLAGGING_DIR=str(FLAGS)
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chat(page: Page, server: Gunicorn) -> Iterator[ChatController]:
    chat = ChatController(page)
    chat.open(f"{server.url}/actions/")
    yield chat


def content(message) -> Any:
    return message.locator("[part~=content]")


def test_thumbs_reach_the_listener_and_clicking_again_takes_the_feedback_back(
    chat: ChatController, server: Gunicorn
) -> None:
    chat.send("hello")
    reply = chat.latest_assistant()
    expect(content(reply)).to_contain_text("to hello")
    chat.expect_idle()
    text = content(reply).inner_text()
    like = reply.locator("[part~=like]")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    reply.locator("[part~=dislike]").click()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(reply.locator("[part~=dislike]")).to_have_attribute("aria-pressed", "true")
    reply.locator("[part~=dislike]").click()  # again: taken back
    expect(reply.locator("[part~=dislike]")).to_have_attribute("aria-pressed", "false")
    seen = wait_for_events(server, chat.page, lambda e: len([x for x in e if x[0] == "like" and x[2] == text]) >= 3)
    assert [x[3] for x in seen if x[0] == "like" and x[2] == text][-3:] == [True, False, None]


def test_a_flag_from_the_menu_lands_in_the_csv(chat: ChatController, server: Gunicorn) -> None:
    chat.send("=SUM(A1:A9)")
    reply = chat.latest_assistant()
    chat.expect_idle()
    reply.locator("[part~=flag]").click()
    reply.locator("[part~=flag-option][data-value=Spam]").click()
    expect(reply.locator("[part~=flag-option][data-value=Spam]")).to_have_attribute("aria-pressed", "true")
    text = content(reply).inner_text()
    wait_for_events(server, chat.page, lambda e: any(x[0] == "like" and x[3] == "Spam" for x in e))
    with open(FLAGS / "flags.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["conversation", "index", "message", "flag", "timestamp", "user"]
    assert any(row[2] == text and row[3] == "Spam" for row in rows[1:]) and all(len(row) == 6 for row in rows)


def test_retry_replaces_the_last_reply_and_focus_goes_to_the_message_box(
    chat: ChatController, server: Gunicorn
) -> None:
    chat.send("tell me")
    expect(content(chat.latest_assistant())).to_contain_text("to tell me")
    chat.expect_idle()
    before = content(chat.latest_assistant()).inner_text()
    retry = chat.latest_assistant().locator("[part~=retry]")
    retry.focus()
    chat.page.keyboard.press("Enter")  # by keyboard
    expect(content(chat.latest_assistant())).not_to_have_text(before)
    expect(content(chat.latest_assistant())).to_contain_text("to tell me")
    chat.expect_idle()
    expect(chat.assistant_messages).to_have_count(1)
    expect(chat.user_messages).to_have_count(1)
    expect(chat.input).to_be_focused()
    wait_for_events(server, chat.page, lambda e: any(x[0] == "retry" and x[2] == "tell me" for x in e))


def test_undo_takes_the_exchange_back_and_puts_the_text_in_the_message_box(
    chat: ChatController, server: Gunicorn
) -> None:
    chat.send("first")
    chat.expect_idle()
    chat.send("second thoughts")
    expect(content(chat.latest_assistant())).to_contain_text("to second thoughts")
    chat.expect_idle()
    chat.latest_assistant().locator("[part~=undo]").click()
    expect(chat.user_messages).to_have_count(1)
    expect(chat.assistant_messages).to_have_count(1)
    expect(chat.input).to_have_value("second thoughts")
    expect(chat.input).to_be_focused()
    # Retry and undo follow the last reply.
    expect(chat.latest_assistant().locator("[part~=undo]")).to_be_visible()
    wait_for_events(server, chat.page, lambda e: any(x[0] == "undo" and x[2] == "second thoughts" for x in e))


def test_clear_empties_the_chat_tells_the_listener_and_fn_starts_afresh(chat: ChatController, server: Gunicorn) -> None:
    chat.send("remember me")
    chat.expect_idle()
    before = len([e for e in listener_events(server) if e[0] == "clear"])
    chat.element.locator("[part~=clear-button]").click()
    expect(chat.messages).to_have_count(0)
    expect(chat.input).to_be_focused()
    wait_for_events(server, chat.page, lambda e: len([x for x in e if x[0] == "clear"]) > before)


def test_after_stop_focus_is_in_the_message_box_not_lost(chat: ChatController, server: Gunicorn) -> None:
    chat.send("slow")
    expect(chat.stop_button).to_be_visible()
    chat.stop_button.click()
    chat.expect_idle()
    expect(chat.input).to_be_focused()
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/gate/slow", method="POST"), timeout=10).close()


def test_gradio_4_button_labels_show_as_text(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/labels/")
    chat.send("hi")
    chat.expect_idle()
    expect(chat.latest_assistant().locator("[part~=retry]")).to_have_text("🔄 Retry")
    expect(chat.latest_assistant().locator("[part~=undo]")).to_have_accessible_name("↩️ Undo")
    expect(chat.element.locator("[part~=clear-button]")).to_have_text("🗑️ Clear")
