"""The message box in Chromium (issue 8): what happens to a message the validator refuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import ChatController, Gunicorn
from playwright.sync_api import Page, expect


@pytest.fixture(scope="module")
def display() -> Iterator[Gunicorn]:
    """e2e/display_app.py: /textbox (gr.Textbox's options) and /inputs (every input component)."""
    server = Gunicorn("display_app:create_app()", ready_path="/inputs/", CHATBOT_WORKERS="1")
    server.start()
    yield server
    server.stop()


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


def test_gradio_s_textbox_options_shape_the_message_box(page: Page, display: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(
        f"{display.url}/textbox/"
    )  # Textbox(value, placeholder, lines=3, max_lines=5, max_length=200, submit_btn)
    expect(chat.input).to_have_value("Prefilled")
    expect(chat.input).to_have_attribute("placeholder", "Ask about Flask")
    expect(chat.send_button).to_have_text("Ask")
    line = chat.input.evaluate("t => parseFloat(getComputedStyle(t).lineHeight)")
    empty = chat.input.evaluate("t => t.getBoundingClientRect().height")
    assert empty >= 3 * line  # three lines tall from the start
    chat.input.fill("\n".join(str(n) for n in range(12)))
    full = chat.input.evaluate("t => t.getBoundingClientRect().height")
    assert 5 * line <= full < 6.5 * line  # grows to five lines, then scrolls
    assert chat.input.evaluate("t => t.scrollHeight > t.clientHeight")
    chat.input.fill("x" * 201)
    chat.input.press("Enter")
    expect(chat.element.locator("[part~=input-note]")).to_have_text(
        "This message has 201 characters; the limit is 200."
    )


def test_additional_inputs_reach_fn_with_the_values_the_reader_set(page: Page, display: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{display.url}/inputs/")
    panel = chat.element.locator("[part~=additional-inputs]")
    expect(panel).to_be_visible()
    expect(chat.element.get_by_label("Temperature")).to_be_hidden()  # closed until opened
    chat.send("defaults")
    reply = chat.latest_assistant().locator("[part~=content]")
    expect(reply).to_have_text('defaults: ["You are helpful.", 0.7, 3, true, "fast", ["docs"], "s", []]')
    chat.expect_idle()
    chat.element.locator("[part~=additional-inputs-label]").click()
    field = chat.element.get_by_label("System prompt")
    expect(field).to_have_attribute("aria-describedby", "chat-bot-input-1-info")  # its info, read out
    field.fill("Be brief.")
    temperature = chat.element.get_by_label("Temperature")
    temperature.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # by keyboard: 0.7 -> 1.0
    chat.element.get_by_label("Answers").fill("5")
    chat.element.get_by_label("Stream").uncheck()
    chat.element.get_by_label("Model").select_option(label="slow")
    chat.element.get_by_label("Corpora").select_option(label=["web", "code"])
    chat.element.get_by_label("Long").check()
    chat.element.get_by_label("tables").check()
    chat.send("set")
    reply = chat.latest_assistant().locator("[part~=content]")
    expect(reply).to_have_text('set: ["Be brief.", 1, 5, false, "slow", ["web", "code"], "l", ["tables"]]')


def test_additional_outputs_show_beside_the_chat_and_reach_the_page(page: Page, sample_app: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/demos/artifacts/")  # Gradio's artifacts demo: code beside the reply
    page.evaluate("document.addEventListener('chat-bot-output', e => (window.outputs ??= []).push(e.detail))")
    pane = chat.element.locator("[part~=outputs]")
    expect(pane).to_be_visible()
    expect(pane.locator("[part~=output]")).to_have_attribute("aria-label", "Code Artifacts")
    expect(pane.locator("[part~=output]")).to_have_attribute("data-empty", "")  # shows "Nothing yet."
    chat.element.locator("[part~=example]").first.click()  # "Python"
    expect(pane.locator("code")).to_contain_text("def fib(n):", timeout=10_000)
    expect(pane.locator("[data-language=python]")).to_have_count(1)  # highlighted on the server
    detail = page.evaluate("window.outputs[0]")
    assert (detail["index"], detail["label"]) == (0, "Code Artifacts") and "def fib(n):" in detail["value"]
    chat.expect_idle()
    chat.send("something else")  # the demo returns None: the output is cleared
    expect(pane.locator("[part~=output]")).to_have_attribute("data-empty", "", timeout=10_000)
    expect(pane.locator("code")).to_have_count(0)
    pane_box, log_box = pane.bounding_box(), chat.log.bounding_box()
    assert pane_box and log_box and pane_box["x"] >= log_box["x"] + log_box["width"] - 1  # beside, not under


def test_an_example_with_values_sets_the_additional_inputs_and_sends(page: Page, display: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{display.url}/inputs/")
    chat.element.locator("[part~=example]", has_text="A trip, with settings").click()
    reply = chat.latest_assistant().locator("[part~=content]")
    expect(reply).to_have_text('Plan a trip: ["Be fun.", 0.9, 4, false, "slow", ["web"], "l", ["images"]]')
    chat.element.locator("[part~=additional-inputs-label]").click()
    expect(chat.element.get_by_label("System prompt")).to_have_value("Be fun.")  # the controls show them
    expect(chat.element.get_by_label("Long")).to_be_checked()
