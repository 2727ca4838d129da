"""Example cards in the empty chat, in Chromium: they start the conversation, the
example_select listener hears of them, and they go once the conversation starts; one that sets
the additional inputs says so on its card and in the accordion."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from harness import ChatController, Gunicorn, axe_violations, wait_for_events
from playwright.sync_api import Browser, Page, expect


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
    assert selected(server, page, before + 1)[before] == [
        "example_select",
        0,
        {"text": "What is Flask?", "files": []},
        True,
    ]
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
    server = Gunicorn(
        "display_app:create_app()",
        ready_path="/cached/",
        CHATBOT_WORKERS="1",
        CHATBOT_UPLOAD_DIR=str(tmp_path / "store"),
    )
    server.start()
    try:
        for _reader in range(2):  # two readers, two browser contexts
            context = browser.new_context()
            page = context.new_page()
            chat = ChatController(page)
            chat.open(f"{server.url}/cached/")
            chat.element.locator("[part~=example]").click()  # cached examples run even with run_examples_on_click=False
            expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(
                "computed answer #1 to What is cached?"
            )  # #1 both times: fn ran once
            chat.expect_idle()
            context.close()
        assert list((tmp_path / "store").glob("cached-examples/*/0.json"))
    finally:
        server.stop()


MARKED = re.compile(r"\bset-by-example\b")


def test_an_example_that_sets_inputs_says_so_on_its_card_then_opens_the_accordion_on_them(
    page: Page, sample_app: Gunicorn
) -> None:
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/demos/system_prompt/")
    cards = chat.element.locator("[part~=example]")
    # Each card names the values it sets that are not the inputs' defaults; a plain example, none.
    expect(cards.nth(0).locator(".example-values")).to_have_text("System Prompt: You are a pirate. · Tokens: 100")
    expect(cards.nth(1).locator(".example-values")).to_have_text("Tokens: 60")  # its prompt is the default
    expect(cards.nth(2).locator(".example-values")).to_have_count(0)
    expect(cards.nth(0)).to_have_accessible_name("Ahoy! System Prompt: You are a pirate. · Tokens: 100")
    panel = chat.element.locator("[part~=additional-inputs]")
    fields = panel.locator("[part~=additional-input]")
    prompt, tokens = panel.get_by_label("System Prompt"), panel.locator("input[type=range]")
    expect(panel).not_to_have_attribute("open", "")  # the demo's accordion starts closed

    cards.nth(0).click()
    # The accordion opens on what the example changed, each field marked (a dot after its label).
    expect(panel).to_have_attribute("open", "")
    expect(prompt).to_have_value("You are a pirate.")
    expect(tokens).to_have_value("100")
    expect(fields.nth(0)).to_have_class(MARKED)
    expect(fields.nth(1)).to_have_class(MARKED)
    dot = fields.nth(0).locator(".input-label").evaluate("label => getComputedStyle(label, '::after').content")
    assert dot == '""'  # the mark's stylesheet came with the inputs
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(
        "System prompt: You are a pirate. Message: Ahoy!."
    )
    chat.expect_idle()
    # The reader's own edit makes the value theirs: its mark goes, the other stays.
    prompt.fill("You are a poet.")
    expect(fields.nth(0)).not_to_have_class(MARKED)
    expect(fields.nth(1)).to_have_class(MARKED)

    chat.element.locator("[part~=clear-button]").click()
    panel.locator("summary").click()  # the reader folds it away
    expect(panel).not_to_have_attribute("open", "")
    cards.nth(1).click()
    # Its default prompt replaces the reader's poet: that changed too, so it is marked.
    expect(panel).to_have_attribute("open", "")
    expect(prompt).to_have_value("You are helpful AI.")
    expect(tokens).to_have_value("60")
    expect(fields.nth(0)).to_have_class(MARKED)
    expect(fields.nth(1)).to_have_class(MARKED)
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(
        "System prompt: You are helpful AI. Message: What is Flask?."
    )
    chat.expect_idle()

    chat.element.locator("[part~=clear-button]").click()
    panel.locator("summary").click()
    cards.nth(1).click()  # the same values again: nothing changes, nothing opens or is marked
    expect(chat.user_messages).to_have_text(["What is Flask?"])
    expect(fields.nth(0)).not_to_have_class(MARKED)
    expect(fields.nth(1)).not_to_have_class(MARKED)
    expect(panel).not_to_have_attribute("open", "")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_cards_values_and_the_marked_fields_pass_axe(browser: Browser, sample_app: Gunicorn, scheme: str) -> None:
    # The page's strict CSP would refuse axe's inline script: the checker comes in bypassing it.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        chat = ChatController(page)
        chat.open(f"{sample_app.url}/demos/system_prompt/")
        expect(chat.element.locator(".example-values").first).to_be_visible()
        assert axe_violations(page) == []  # the muted line of values, on the card's surface
        chat.element.locator("[part~=example]").first.click()
        expect(chat.element.locator("[part~=additional-input]").first).to_have_class(MARKED)
        chat.expect_idle()
        assert axe_violations(page) == []  # the open accordion with its marked fields
    finally:
        context.close()


def test_a_card_names_a_value_it_would_overwrite_that_the_reader_set(page: Page, sample_app: Gunicorn) -> None:
    """A card's line names the values a click would change from those the inputs hold now, not
    from their defaults: the reader's own system prompt, which the card's default would
    overwrite, shows on it, and is marked once the click changed it (review, bug 2)."""
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/demos/system_prompt/")
    cards = chat.element.locator("[part~=example]")
    panel = chat.element.locator("[part~=additional-inputs]")
    fields = panel.locator("[part~=additional-input]")
    prompt = panel.get_by_label("System Prompt")
    expect(cards.nth(1).locator(".example-values")).to_have_text("Tokens: 60")  # its prompt is the one there
    panel.locator("summary").click()
    prompt.fill("My own prompt: answer in French.")
    # Now the card would overwrite the reader's prompt: it says so, to the eye and to a screen reader.
    expect(cards.nth(1).locator(".example-values")).to_have_text("System Prompt: You are helpful AI. · Tokens: 60")
    expect(cards.nth(1)).to_have_accessible_name("What is Flask? System Prompt: You are helpful AI. · Tokens: 60")
    expect(cards.nth(0).locator(".example-values")).to_have_text("System Prompt: You are a pirate. · Tokens: 100")
    expect(cards.nth(2).locator(".example-values")).to_have_count(0)  # a plain example sets nothing
    # The reader puts the default back: the card again names only what it would change.
    prompt.fill("You are helpful AI.")
    expect(cards.nth(1).locator(".example-values")).to_have_text("Tokens: 60")
    prompt.fill("My own prompt: answer in French.")
    # Straight from the field: leaving it redraws the cards' lines, under the pointer pressing
    # this card, and the click still lands.
    expect(prompt).to_be_focused()
    cards.nth(1).locator(".example-values").click()
    expect(panel).to_have_attribute("open", "")
    expect(prompt).to_have_value("You are helpful AI.")
    expect(fields.nth(0)).to_have_class(MARKED)
    expect(fields.nth(1)).to_have_class(MARKED)
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(
        "System prompt: You are helpful AI. Message: What is Flask?."
    )
    chat.expect_idle()
