"""A person chatting with the demo bot: sample_app under gunicorn, Chromium via Playwright."""

from __future__ import annotations

import os
import signal

import pytest
from harness import SERVER_DOWN, ChatController, Gunicorn
from playwright.sync_api import Page, expect

DEMO_END = "That is all"


@pytest.fixture
def chat(page: Page, sample_app: Gunicorn) -> ChatController:
    controller = ChatController(page)
    controller.open(f"{sample_app.url}/chat/")
    return controller


def test_page_shows_title_description_and_placeholder(chat: ChatController) -> None:
    expect(chat.page).to_have_title("flask-chatbot demo")
    expect(chat.page.locator("h1")).to_have_text("flask-chatbot demo")
    expect(chat.element.locator("[part~=placeholder]")).to_contain_text("Ask me anything")
    expect(chat.input).to_be_focused()  # autofocus


# Records each state of the reply the reader could see (after every change the element makes):
# its status, its text, and whether Stop was offered. The test reads the record once the reply is
# done, so a fast reply cannot slip past it.
RECORD_REPLY_STATES = """element => {
    window.replyStates = []
    const root = element.shadowRoot
    new MutationObserver(() => {
        const reply = root.querySelector('[part~=message][data-role=assistant]')
        const stop = root.querySelector('[part~=stop-button]')
        if (reply) window.replyStates.push({status: reply.dataset.status, text: reply.textContent, stop: stop.checkVisibility()})
    }).observe(root, {subtree: true, childList: true, attributes: true, characterData: true})
}"""


def test_enter_sends_and_the_reply_streams_in(chat: ChatController) -> None:
    chat.element.evaluate(RECORD_REPLY_STATES)
    chat.send("Hello there")
    expect(chat.user_messages.last).to_have_text("Hello there")
    expect(chat.input).to_have_value("")
    reply = chat.latest_assistant()
    expect(reply).to_contain_text(DEMO_END, timeout=15_000)
    expect(reply).to_have_attribute("data-status", "done")
    # The first words showed while it streamed, and meanwhile submit had become stop.
    states = chat.page.evaluate("() => window.replyStates")
    assert any(
        s["status"] == "streaming" and "You said" in s["text"] and DEMO_END not in s["text"] and s["stop"]
        for s in states
    ), states[:5]
    chat.expect_idle()
    expect(reply.locator("table")).to_be_visible()
    expect(reply.locator("pre code")).to_contain_text("def respond(message, history):")
    expect(reply.locator("h2")).to_have_text("You said")
    expect(reply.locator("a[href^='https://flask']")).to_have_attribute("rel", "noopener noreferrer")
    expect(chat.element.locator("[part~=placeholder]")).to_be_hidden()


def test_shift_enter_makes_a_newline(chat: ChatController) -> None:
    chat.input.type("line one")
    chat.input.press("Shift+Enter")
    chat.input.type("line two")
    expect(chat.input).to_have_value("line one\nline two")
    expect(chat.user_messages).to_have_count(0)
    chat.input.press("Enter")
    expect(chat.user_messages.last.locator("br")).to_have_count(1)
    expect(chat.user_messages.last).to_contain_text("line one")
    expect(chat.latest_assistant()).to_contain_text(DEMO_END, timeout=15_000)


def test_stop_halts_the_reply_and_the_input_is_usable_again(chat: ChatController) -> None:
    chat.send("Tell me everything")
    reply = chat.assistant_messages.nth(0)
    expect(reply).to_contain_text("Here is")
    chat.stop_button.click()
    expect(reply).to_have_attribute("data-status", "stopped")
    chat.expect_idle()
    stopped_text = reply.inner_text()
    assert DEMO_END not in stopped_text
    chat.send("And now?")
    second = chat.assistant_messages.nth(1)
    expect(second).to_contain_text("That makes 3 messages")  # the stopped reply is in the history
    expect(second).to_contain_text(DEMO_END, timeout=15_000)
    assert reply.inner_text() == stopped_text  # the partial reply stays as it was


def test_a_reload_keeps_the_conversation_and_chat_goes_on(chat: ChatController, sample_app: Gunicorn) -> None:
    chat.send("before reload")
    expect(chat.latest_assistant()).to_contain_text(DEMO_END, timeout=15_000)
    chat.expect_idle()
    chat.page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(chat.messages).to_have_count(2)
    expect(chat.user_messages.first).to_have_text("before reload")
    chat.send("after reload")
    # The server got the conversation back in hello: 1 exchange + this question.
    expect(chat.latest_assistant()).to_contain_text("That makes 3 messages", timeout=15_000)


def test_server_restart_mid_conversation_reconnects_and_loses_nothing(page: Page) -> None:
    # Chromium logs the failed reconnects while the server is down; nothing else may fail.
    for pattern in SERVER_DOWN:
        page.allow_problems(pattern)  # type: ignore[attr-defined]
    server = Gunicorn(DEMO_DELAY="0.02")
    server.start()
    chat = ChatController(page)
    try:
        chat.open(f"{server.url}/chat/")
        chat.send("first question")
        first = chat.assistant_messages.nth(0)
        expect(first).to_contain_text(DEMO_END, timeout=15_000)
        chat.expect_idle()  # the last words can show before the turn's end: Enter sends only after it
        chat.send("second question")
        second = chat.assistant_messages.nth(1)
        expect(second).to_contain_text("Here is")
        os.killpg(server.process.pid, signal.SIGKILL)  # the server dies mid-stream
        server.process.wait(10)
        expect(chat.element).to_have_attribute("data-connection", "offline")
        expect(chat.status).to_be_visible()
        # Not cut off while offline: a server that comes back may still be running it.
        expect(second).to_have_attribute("data-status", "streaming")
        partial = second.locator("[part~=content]").inner_text()
        server.start()  # the same port again, the same host's turn log
        expect(chat.element).to_have_attribute("data-connection", "online", timeout=20_000)
        expect(chat.status).to_be_hidden()
        # Its worker died with it: the reply is cut off, its text kept (and any words the dead
        # worker had written to the log but not delivered), with the reason under it.
        expect(second).to_have_attribute("data-status", "error", timeout=10_000)
        expect(chat.element.locator("[part~=error][data-code=interrupted]")).to_be_visible()
        expect(first).to_contain_text(DEMO_END)
        assert second.locator("[part~=content]").inner_text().startswith(partial)
        chat.send("third question")
        third = chat.assistant_messages.nth(2)
        # The server got the whole conversation back: 2 exchanges + this question.
        expect(third).to_contain_text("That makes 5 messages", timeout=15_000)
        expect(third).to_contain_text(DEMO_END, timeout=15_000)
    finally:
        server.stop()


def test_screenshot_of_a_conversation(chat: ChatController, tmp_path) -> None:
    chat.send("Show me what you can do")
    expect(chat.latest_assistant()).to_contain_text(DEMO_END, timeout=15_000)
    path = tmp_path / "conversation.png"
    chat.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
