"""Saved history in Chromium (issue 9, item 3): the side panel of past conversations (new
chat, switch, rename, delete; titles from the first message; newest first) kept in the
browser across a reload and a server restart, and, for a signed-in user, on the server: a
second browser of the same user finds the conversation and goes on with it.

e2e/display_app.py's /saved chat answers "<message> (after N messages)": N is the history fn
got, so a reply shows that the server was given the conversation switched to.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
from harness import ChatController, Gunicorn, axe_violations
from playwright.sync_api import Browser, Page, expect


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    # One worker, and the store in a folder of the test's: it outlives a restart.
    server = Gunicorn(
        "display_app:create_app()",
        ready_path="/saved/",
        CHATBOT_WORKERS="1",
        CHATBOT_HISTORY_DIR=tempfile.mkdtemp(prefix="history-e2e-"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def context_page(browser: Browser) -> Iterator[callable]:
    contexts = []

    def open_(width: int = 1100) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 760}, bypass_csp=True)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


class Panel:
    def __init__(self, chat: ChatController) -> None:
        self.chat = chat
        self.element = chat.element.locator("[part~=history-panel]")
        self.items = chat.element.locator("[part~=history-item]")
        self.new = chat.element.locator("[part~=history-new]")
        self.toggle = chat.element.locator("[part~=history-button]")

    def titles(self) -> list[str]:
        return self.items.all_inner_texts()

    def entry(self, title: str):
        return self.chat.element.locator(
            ".history-entry", has=self.chat.element.page.get_by_role("button", name=title, exact=True)
        )


def ask(chat: ChatController, text: str, expected: str) -> None:
    chat.send(text)
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(expected)
    chat.expect_idle()


def test_the_panel_keeps_conversations_to_switch_rename_and_delete(server: Gunicorn, context_page) -> None:
    chat = ChatController(context_page())
    chat.open(f"{server.url}/saved/")
    panel = Panel(chat)
    expect(panel.element).to_be_visible()  # wide: docked beside the conversation
    ask(chat, "Plan a trip", "Plan a trip (after 0 messages)")
    panel.new.click()
    expect(chat.messages).to_have_count(0)
    expect(chat.input).to_be_focused()
    ask(chat, "Cook dinner", "Cook dinner (after 0 messages)")
    expect(panel.items).to_have_text(["Cook dinner", "Plan a trip"])  # newest first
    expect(panel.items.first).to_have_attribute("aria-current", "true")

    panel.items.filter(has_text="Plan a trip").click()  # back to the first: the server gets it whole
    expect(chat.user_messages).to_have_text(["Plan a trip"])
    ask(chat, "By train", "By train (after 2 messages)")
    expect(panel.items).to_have_text(["Plan a trip", "Cook dinner"])

    rename = chat.element.locator(".history-entry", has_text="Cook dinner").locator("[part~=history-rename]")
    rename.click()
    title = chat.element.locator(".history-title")
    expect(title).to_be_focused()
    title.fill("Dinner ideas")
    title.press("Enter")
    expect(panel.items).to_have_text(["Plan a trip", "Dinner ideas"])

    delete = chat.element.locator(".history-entry", has_text="Dinner ideas").locator("[part~=history-delete]")
    delete.click()  # asks first
    expect(delete).to_have_attribute("aria-label", "Delete “Dinner ideas”? Press again to delete it.")
    expect(panel.items).to_have_count(2)
    delete.click()
    expect(panel.items).to_have_text(["Plan a trip"])
    assert axe_violations(chat.page) == []

    chat.page.reload()  # the list and the open conversation come back
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(panel.items).to_have_text(["Plan a trip"])
    expect(chat.user_messages).to_have_text(["Plan a trip", "By train"])

    current = chat.element.locator(".history-entry", has_text="Plan a trip").locator("[part~=history-delete]")
    current.click()
    current.click()  # the open conversation itself: a new chat takes its place
    expect(panel.items).to_have_count(0)
    expect(chat.messages).to_have_count(0)
    chat.page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(panel.items).to_have_count(0)
    expect(chat.messages).to_have_count(0)


def test_on_a_phone_the_panel_opens_over_the_conversation(server: Gunicorn, context_page) -> None:
    chat = ChatController(context_page(width=390))
    chat.open(f"{server.url}/saved/")
    panel = Panel(chat)
    ask(chat, "First", "First (after 0 messages)")
    expect(panel.element).to_be_hidden()
    panel.toggle.click()
    expect(panel.toggle).to_have_attribute("aria-expanded", "true")
    expect(panel.element).to_be_visible()
    expect(panel.items.first).to_be_focused()
    panel.new.click()  # the panel gets out of the way
    expect(panel.element).to_be_hidden()
    ask(chat, "Second", "Second (after 0 messages)")
    panel.toggle.click()
    expect(panel.items).to_have_text(["Second", "First"])
    chat.page.keyboard.press("Escape")
    expect(panel.element).to_be_hidden()
    expect(panel.toggle).to_be_focused()


def test_the_list_survives_a_server_restart(server: Gunicorn, context_page) -> None:
    chat = ChatController(context_page())
    chat.open(f"{server.url}/saved/")
    panel = Panel(chat)
    ask(chat, "Before the restart", "Before the restart (after 0 messages)")
    panel.new.click()
    ask(chat, "Also before", "Also before (after 0 messages)")
    server.stop()
    server.start()
    chat.page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(panel.items).to_have_text(["Also before", "Before the restart"])
    panel.items.filter(has_text="Before the restart").click()
    ask(chat, "After it", "After it (after 2 messages)")


def test_fn_reads_the_signed_in_user_and_the_app_s_login_guards_the_chat(server: Gunicorn, context_page) -> None:
    page = context_page()
    response = page.goto(f"{server.url}/whoami/")
    assert response.status == 401  # the host app's before_request: no page, no socket
    page.goto(f"{server.url}/login/grace")
    chat = ChatController(page)
    chat.open(f"{server.url}/whoami/")
    ask(chat, "Hello", "Hello, grace!")


def test_a_signed_in_user_finds_the_conversation_in_another_browser(server: Gunicorn, context_page) -> None:
    first, second = context_page(), context_page()
    first.goto(f"{server.url}/login/ada")
    laptop = ChatController(first)
    laptop.open(f"{server.url}/saved/")
    ask(laptop, "Draft my talk", "Draft my talk (after 0 messages)")

    second.goto(f"{server.url}/login/ada")
    phone = ChatController(second)
    phone.open(f"{server.url}/saved/")
    panel = Panel(phone)
    expect(panel.items.filter(has_text="Draft my talk")).to_have_count(1)  # from the server
    panel.items.filter(has_text="Draft my talk").click()
    expect(phone.user_messages).to_have_text(["Draft my talk"])
    expect(phone.latest_assistant().locator("[part~=content]")).to_have_text("Draft my talk (after 0 messages)")
    ask(phone, "Make it shorter", "Make it shorter (after 2 messages)")

    # Someone else signed in sees none of it.
    other = context_page()
    other.goto(f"{server.url}/login/bob")
    bob = ChatController(other)
    bob.open(f"{server.url}/saved/")
    expect(Panel(bob).items).to_have_count(0)
