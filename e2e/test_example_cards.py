"""Example cards in the empty chat, in Chromium: they start the conversation, the
example_select listener hears of them, and they go once the conversation starts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from harness import ChatController, Gunicorn, wait_for_events
from playwright.sync_api import Page, expect


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    server = Gunicorn("display_app:create_app()", ready_path="/examples/", CHATBOT_WORKERS="1")
    server.start()
    yield server
    server.stop()


def selected(server: Gunicorn, page: Page, count: int) -> list[list[Any]]:
    """The example_select listener's record once it has ``count`` entries (no sleeps)."""
    seen = wait_for_events(server, page, lambda e: len([x for x in e if x[0] == "example_select"]) >= count)
    return [x for x in seen if x[0] == "example_select"]


def test_an_example_card_sends_its_text_and_the_cards_leave_with_the_empty_chat(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/examples/")
    cards = chat.element.locator("[part~=example]")
    expect(cards).to_have_text(["Flask, briefly", "Write a haiku about **tea**"])  # labels, text as text
    expect(cards.first.locator("[part~=example-icon]")).to_have_js_property("naturalWidth", 64)
    before = len(selected(server, page, 0))
    cards.first.focus()
    page.keyboard.press("Enter")  # a card is a button: the keyboard works
    expect(chat.user_messages).to_have_text(["What is Flask?"])
    expect(chat.latest_assistant()).to_contain_text("re What is Flask? after []")
    expect(chat.element.locator("[part~=examples]")).to_be_hidden()
    assert selected(server, page, before + 1)[before] == ["example_select", 0, {"text": "What is Flask?", "files": []}, True]
    chat.expect_idle()
    chat.element.locator("[part~=clear-button]").click()
    expect(cards.first).to_be_visible()  # an empty chat again: the cards are back
    assert page.problems == []  # type: ignore[attr-defined]


def test_with_run_examples_on_click_false_an_example_fills_the_message_box(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/examples-fill/")
    chat.element.locator("[part~=example]").nth(1).click()
    expect(chat.input).to_have_value("Write a haiku about **tea**")
    expect(chat.input).to_be_focused()
    expect(chat.messages).to_have_count(0)
    chat.input.press("Enter")
    expect(chat.latest_assistant()).to_contain_text("re Write a haiku about tea after []")  # rendered Markdown
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_cached_example_s_reply_comes_from_the_cache_for_the_next_reader(browser, tmp_path) -> None:
    server = Gunicorn("display_app:create_app()", ready_path="/cached/", CHATBOT_WORKERS="1",
                      CHATBOT_UPLOAD_DIR=str(tmp_path / "store"))
    server.start()
    try:
        for reader in range(2):  # two readers, two browser contexts
            context = browser.new_context()
            page = context.new_page()
            chat = ChatController(page)
            chat.open(f"{server.url}/cached/")
            chat.element.locator("[part~=example]").click()  # cached examples run even with run_examples_on_click=False
            expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(
                "computed answer #1 to What is cached?")  # #1 both times: fn ran once
            chat.expect_idle()
            context.close()
        assert list((tmp_path / "store").glob("cached-examples/*/0.json"))
    finally:
        server.stop()
