"""axe-core finds nothing on the chat (issue 9, item 8): the standalone page and a page that
embeds the element, light and dark, with a conversation on screen; text contrast at least
4.5:1 everywhere. axe-core comes from npm (make test installs it into .venv/axe)."""

from __future__ import annotations

import pytest
from harness import ChatController, Gunicorn, axe_violations
from playwright.sync_api import Browser, expect


def violations(browser: Browser, url: str, scheme: str, messages: tuple[str, ...]) -> list[str]:
    # The page's strict CSP would refuse axe's inline script: the checker comes in bypassing it.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True, viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        chat = ChatController(page)
        chat.open(url)
        for text in messages:
            chat.send(text)
            chat.expect_idle()
            expect(chat.latest_assistant()).to_have_attribute("data-status", "done")
        return axe_violations(page)
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("path", "messages"),
    [
        ("/chat/", ("Write some Python",)),  # the standalone page: headings, lists, a table, code, links
        ("/embed", ("Write some Python",)),  # <chat-bot> in a plain page
        ("/sink/", ("thoughts", "options", "media", "code")),  # every kind of message, feedback and flags
        ("/files-demo/", ("Hello",)),  # example cards and the attach button
        ("/themes/soft/", ("Write some Python",)),  # the built-in themes
        ("/themes/monochrome/", ("Write some Python",)),
        ("/history-demo/", ("Hello", "What can you show?")),  # the saved chats' panel
    ],
)
def test_axe_finds_no_violations(browser: Browser, sample_app: Gunicorn, path: str, messages: tuple[str, ...], scheme: str) -> None:
    assert violations(browser, f"{sample_app.url}{path}", scheme, messages) == []


def test_the_log_is_busy_while_a_reply_streams_so_it_is_read_once_finished(browser: Browser, sample_app: Gunicorn) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        chat = ChatController(page)
        chat.open(f"{sample_app.url}/chat/")
        expect(chat.log).to_have_attribute("aria-busy", "false")
        chat.send("Write some Python")
        expect(chat.latest_assistant()).to_have_attribute("data-status", "streaming")
        expect(chat.log).to_have_attribute("aria-busy", "true")
        chat.expect_idle()
        expect(chat.log).to_have_attribute("aria-busy", "false")
        expect(chat.log).to_have_attribute("role", "log")  # polite: the finished reply is announced
    finally:
        context.close()
