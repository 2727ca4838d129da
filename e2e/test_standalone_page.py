"""The standalone page in Chromium (issue 9, item 4): gr.ChatInterface's css, js and head
under the strict policy, no seam in dark mode, and room for the conversation on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import ChatController, Gunicorn
from playwright.sync_api import Browser, Page, expect


@pytest.fixture(scope="module")
def display() -> Iterator[Gunicorn]:
    server = Gunicorn("display_app:create_app()", ready_path="/page-options/", CHATBOT_WORKERS="1")
    server.start()
    yield server
    server.stop()


def test_css_js_and_head_apply_under_the_strict_policy(page: Page, display: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{display.url}/page-options/")
    expect(page.locator(".chat-page__title")).to_have_css("color", "rgb(200, 30, 60)")  # css
    expect(page.locator("body")).to_have_attribute("data-custom-js", "ran")  # js, run on load
    expect(page.locator('meta[name="x-page"]')).to_have_attribute("content", "custom head")  # head
    main = page.locator("main").bounding_box()
    assert main is not None and main["width"] >= 1000 - 1  # fill_width: the whole window


def test_in_dark_mode_the_page_and_the_chat_are_one_colour(browser: Browser, sample_app: Gunicorn) -> None:
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        ChatController(page).open(f"{sample_app.url}/chat/")
        body = page.evaluate("getComputedStyle(document.body).backgroundColor")
        chat = page.locator("chat-bot").evaluate("e => getComputedStyle(e).backgroundColor")
        assert body == chat == "rgb(24, 24, 27)"
    finally:
        context.close()


def test_on_a_phone_every_button_is_a_finger_s_size_and_the_box_does_not_zoom(
    browser: Browser, sample_app: Gunicorn
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 760}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        chat = ChatController(page)
        chat.open(f"{sample_app.url}/sink/")
        for topic in ("options", "code"):
            chat.send(topic)
            chat.expect_idle()
        small = chat.element.evaluate(
            """e => [...e.shadowRoot.querySelectorAll('button, summary')]
                 .filter(b => b.offsetParent && !b.matches('.example, .option'))
                 .map(b => b.getBoundingClientRect())
                 .filter(r => r.width < 44 || r.height < 44).length"""
        )
        assert small == 0
        expect(chat.input).to_have_css("font-size", "16px")  # below 16 px, mobile browsers zoom in
        title = page.locator(".chat-page__title").bounding_box()
        assert title is not None and title["height"] < 32  # the header leaves the room to the chat
    finally:
        context.close()
