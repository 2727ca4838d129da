"""The queue, progress and toasts in Chromium (issue 9, items 4 and 5): with
concurrency_limit=1, three readers see the reply running, then their places in line, which
move up as the replies before them end, with an estimate once one has; a fourth is told the
chat is busy and keeps the message; fn's progress and toasts show; show_progress "full",
"minimal" and "hidden" each show what they promise; axe finds nothing wrong with any of it.

e2e/display_app.py's /queue-<mode> bots read 1 of 4 files, then wait at gate "go-<message>".
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator

import pytest
from harness import ChatController, Gunicorn, axe_violations
from playwright.sync_api import Browser, Page, expect


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    # One worker: the line and the gates live in its process.
    server = Gunicorn("display_app:create_app()", ready_path="/queue-full/", CHATBOT_WORKERS="1")
    server.start()
    yield server
    server.stop()


def open_gate(server: Gunicorn, name: str) -> None:
    request = urllib.request.Request(f"{server.url}/gate/{name}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
def readers(browser: Browser) -> Iterator[list[Page]]:
    """Four readers, each in a browser context of their own (the fourth in dark mode)."""
    contexts = [
        browser.new_context(
            viewport={"width": 900, "height": 640}, bypass_csp=True, color_scheme="dark" if i == 3 else "light"
        )
        for i in range(4)
    ]
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def strip(chat: ChatController):
    return chat.element.locator("[part~=progress]")


def test_three_readers_see_their_place_in_line_and_a_fourth_is_told_it_is_busy(
    server: Gunicorn, readers: list[Page]
) -> None:
    first, second, third, fourth = (ChatController(page) for page in readers)
    for chat in (first, second, third, fourth):
        chat.open(f"{server.url}/queue-full/")

    first.send("a")
    expect(strip(first)).to_contain_text("Reading · 25% · 1 of 4 files")
    expect(strip(first).locator("progress")).to_be_visible()
    expect(strip(first).locator(".turn-clock")).to_have_text(re.compile(r"^\d+\.\d s$"))
    expect(first.element.locator("[part~=toast]")).to_contain_text("Started a")

    second.send("b")
    expect(strip(second)).to_contain_text("Waiting in line: 1 of 1")
    expect(second.element.locator("[part~=toast]")).to_have_count(0)  # fn has not started
    third.send("c")
    expect(strip(third)).to_contain_text("Waiting in line: 2 of 2")
    expect(strip(second)).to_contain_text("Waiting in line: 1 of 2")
    assert axe_violations(third.page) == []

    # The line holds two: the fourth message comes back to its box, with the reason.
    fourth.send("d")
    expect(fourth.element.locator("[part~=input-note]")).to_contain_text("The chat is busy")
    expect(fourth.input).to_have_value("d")
    expect(fourth.user_messages).to_have_count(0)
    expect(strip(fourth)).to_be_hidden()
    assert axe_violations(fourth.page) == []

    open_gate(server, "go-a")
    expect(first.latest_assistant().locator("[part~=content]")).to_have_text("answered a")
    expect(strip(first)).to_be_hidden()
    expect(strip(second)).to_contain_text("Reading")
    # One reply has ended: the wait has an estimate now.
    expect(strip(third)).to_contain_text("Waiting in line: 1 of 1 · about")

    open_gate(server, "go-b")
    expect(second.latest_assistant().locator("[part~=content]")).to_have_text("answered b")
    expect(strip(third)).to_contain_text("Reading")
    open_gate(server, "go-c")
    expect(third.latest_assistant().locator("[part~=content]")).to_have_text("answered c")
    for chat in (first, second, third):
        chat.expect_idle()


def test_stop_while_waiting_leaves_the_line(server: Gunicorn, readers: list[Page]) -> None:
    first, second, third = (ChatController(page) for page in readers[:3])
    for chat in (first, second, third):
        chat.open(f"{server.url}/queue-full/")
    first.send("s1")
    expect(strip(first)).to_contain_text("Reading")
    second.send("s2")
    expect(strip(second)).to_contain_text("Waiting in line: 1 of 1")
    third.send("s3")
    expect(strip(third)).to_contain_text("Waiting in line: 2 of 2")
    second.stop_button.click()
    second.expect_idle()
    expect(strip(second)).to_be_hidden()
    expect(strip(third)).to_contain_text("Waiting in line: 1 of 1")
    open_gate(server, "go-s1")
    expect(strip(third)).to_contain_text("Reading")
    open_gate(server, "go-s3")
    expect(third.latest_assistant().locator("[part~=content]")).to_have_text("answered s3")
    expect(second.assistant_messages).to_have_count(0)  # stopped before fn ran: no reply


def test_minimal_shows_text_and_time_without_spinner_or_bar(server: Gunicorn, readers: list[Page]) -> None:
    chat = ChatController(readers[0])
    chat.open(f"{server.url}/queue-minimal/")
    chat.send("m")
    expect(strip(chat)).to_contain_text("Reading · 25% · 1 of 4 files")
    expect(strip(chat).locator(".turn-clock")).to_contain_text(" s")
    expect(strip(chat).locator(".turn-spinner")).to_be_hidden()
    expect(strip(chat).locator("progress")).to_be_hidden()
    open_gate(server, "go-m")
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("answered m")
    expect(strip(chat)).to_be_hidden()


def test_hidden_shows_no_status_but_still_the_toasts(server: Gunicorn, readers: list[Page]) -> None:
    chat = ChatController(readers[0])
    chat.open(f"{server.url}/queue-hidden/")
    chat.send("warn-h")
    expect(chat.element.locator("[part~=toast]")).to_contain_text("Started warn-h")
    expect(strip(chat)).to_be_hidden()
    open_gate(server, "go-warn-h")
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("answered warn-h")
    expect(strip(chat)).to_have_count(1)
    expect(strip(chat)).to_be_hidden()


def test_toasts_stay_as_long_as_asked_and_close_on_request(server: Gunicorn, readers: list[Page]) -> None:
    chat = ChatController(readers[3])  # dark mode
    chat.open(f"{server.url}/queue-full/")
    chat.send("warn-t")
    open_gate(server, "go-warn-t")
    warning = chat.element.locator("[part~=toast-warning]")
    expect(warning).to_contain_text("Heads up")
    expect(warning).to_contain_text("Check the sources")
    expect(warning).to_have_attribute("role", "alert")
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("answered warn-t")
    assert axe_violations(chat.page) == []
    chat.send("brief-t")
    open_gate(server, "go-brief-t")
    brief = chat.element.locator("[part~=toast-info]", has_text="Gone in a second")
    expect(brief).to_be_visible()
    expect(brief).to_be_hidden(timeout=5_000)  # duration=1: gone by itself
    expect(warning).to_be_visible()  # duration=None: stays until closed
    warning.get_by_role("button", name="Dismiss").click()
    expect(warning).to_have_count(0)
