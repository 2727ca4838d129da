"""The chat's access policy as a reader meets it in Chromium (issue 18, item 1): a reader who
is not signed in is sent to sign in by the page, the element on another page of the app says
the chat is not available and opens no socket, and once signed in the chat works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import ChatController, Gunicorn
from playwright.sync_api import Page, expect

REFUSED_CONFIG = r"^Failed to load resource: the server responded with a status of 403 \(FORBIDDEN\) \(http://127\.0\.0\.1:\d+/chat/config\.json\)$"


@pytest.fixture(scope="module")
def members_only() -> Iterator[Gunicorn]:
    server = Gunicorn("access_app:create_app()", ready_path="/", CHATBOT_WORKERS="1")
    server.start()
    yield server
    server.stop()


def test_a_reader_who_is_not_signed_in_is_sent_to_sign_in_then_chats(page: Page, members_only: Gunicorn) -> None:
    page.goto(f"{members_only.url}/chat/")
    expect(page).to_have_url(f"{members_only.url}/sign-in?next=/chat/")
    page.get_by_role("button", name="Sign in as Ada").click()
    expect(page).to_have_url(f"{members_only.url}/chat/")
    chat = ChatController(page)
    expect(chat.element).to_have_attribute("data-connection", "online", timeout=10_000)
    chat.send("hi")
    expect(chat.latest_assistant()).to_contain_text("Hello Ada, you said: hi", timeout=10_000)


def test_the_element_on_another_page_says_the_chat_is_not_available_and_opens_no_socket(
    page: Page, members_only: Gunicorn
) -> None:
    page.allow_problems(REFUSED_CONFIG)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{members_only.url}/")
    element = page.locator("chat-bot")
    expect(element).to_have_attribute("data-connection", "refused", timeout=10_000)
    expect(element.locator("[part~=status]")).to_have_text("This chat is not available on this site.")
    expect(element.locator("[part~=send-button]")).to_be_disabled()
    assert sockets == []  # refused for good: no reconnecting
