"""The message box in Chromium (issue 8): what happens to a message the validator refuses."""

from __future__ import annotations

from harness import ChatController, Gunicorn
from playwright.sync_api import Page, expect


def test_a_message_the_validator_refuses_stays_in_the_box_with_the_reason(page: Page, sample_app: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/demos/validator/")  # Gradio's validator demo: "error" is refused
    chat.send("error")
    note = chat.element.locator("[part~=input-note]")
    expect(note).to_have_text("Can't be error")
    expect(chat.input).to_have_value("error")
    expect(chat.input).to_be_focused()
    expect(chat.messages).to_have_count(0)  # never part of the conversation
    chat.input.fill("hey")  # typing clears the reason
    expect(note).to_be_hidden()
    chat.input.press("Enter")
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("You typed: hey", timeout=10_000)
    expect(chat.input).to_have_value("")
    assert page.problems == []  # type: ignore[attr-defined]
