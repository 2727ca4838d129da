"""The element's languages in Chromium (issue 9, item 7): a German or Arabic reader gets the
standalone page in their language, right to left for Arabic while an English reply still reads
left to right; a page switching its language (or the element's `lang`) switches every text
already on screen, and `dir` with it; a page's own `strings` win; axe finds nothing wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import ChatController, Gunicorn, axe_violations
from playwright.sync_api import Browser, Page, expect

WEBCOMPONENT = Path(__file__).resolve().parent.parent / "webcomponent"


def texts(lang: str) -> dict[str, str]:
    """A locale's texts, read from its module (strings.js for English)."""
    path, name = (
        (WEBCOMPONENT / "i18n/strings.js", "EN")
        if lang == "en"
        else (WEBCOMPONENT / f"i18n/locale-{lang}.js", "STRINGS")
    )
    source = path.read_text(encoding="utf-8")
    start = source.index(f"export const {name} = ")
    entries = re.findall(r"^  (\w+): '((?:[^'\\]|\\.)*)',?$", source[start : source.index("\n})", start)], re.M)
    return {key: value.replace("\\'", "'") for key, value in entries}


@pytest.fixture
def reader(browser: Browser) -> Iterator[callable]:
    contexts = []

    def open_(locale: str, scheme: str = "light") -> Page:
        context = browser.new_context(
            locale=locale, color_scheme=scheme, bypass_csp=True, viewport={"width": 900, "height": 700}
        )
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def labels(chat: ChatController, lang: str) -> None:
    """What a reader sees in `lang` after one exchange: the box, its button, the message actions."""
    words = texts(lang)
    expect(chat.send_button).to_have_attribute("aria-label", words["send"])
    expect(chat.input).to_have_attribute("placeholder", words["textboxPlaceholder"])
    expect(chat.log).to_have_attribute("aria-label", words["conversation"])
    expect(chat.element.locator("[part~=retry]")).to_have_attribute("aria-label", words["retry"])
    expect(chat.element.locator("[part~=copy-message]").last).to_have_attribute("aria-label", words["copyMessage"])
    expect(chat.user_messages.last).to_have_attribute("aria-label", words["you"])
    expect(chat.latest_assistant()).to_have_attribute("aria-label", words["assistant"])


def test_a_german_reader_gets_the_page_in_german(sample_app: Gunicorn, reader) -> None:
    page = reader("de-DE")
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/chat/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    chat.send("Write some Python")
    chat.expect_idle()
    labels(chat, "de")
    assert page.evaluate("document.querySelector('chat-bot').language") == "de"


def test_an_arabic_reader_gets_it_right_to_left_and_english_replies_left_to_right(sample_app: Gunicorn, reader) -> None:
    for scheme in ("light", "dark"):
        page = reader("ar", scheme)
        chat = ChatController(page)
        chat.open(f"{sample_app.url}/chat/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        chat.send("Write some Python")
        chat.expect_idle()
        labels(chat, "ar")
        frame = chat.element.locator(".frame")
        assert frame.evaluate("f => getComputedStyle(f).direction") == "rtl"
        # The reply is English: it reads left to right, its code too.
        content = chat.latest_assistant().locator("[part~=content]")
        assert content.evaluate("c => getComputedStyle(c).direction") == "ltr"
        # The message box sits right to left: the send button at its left end.
        box, button = chat.input.bounding_box(), chat.send_button.bounding_box()
        assert button["x"] < box["x"]
        assert axe_violations(page) == []


# Where a text's last character is drawn against the one before it, on screen: in a left-to-right
# line its final "?" or "." comes after the last word, in a right-to-left one before it.
ENDS_AFTER_ITS_LAST_WORD = """node => {
  const texts = document.createTreeWalker(node, NodeFilter.SHOW_TEXT)
  let text = null
  while (texts.nextNode()) if (texts.currentNode.data.trim()) text = texts.currentNode
  const end = text.data.trimEnd().length
  const at = i => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1); return r.getBoundingClientRect() }
  return at(end - 1).left > at(end - 2).left
}"""


def test_an_arabic_reader_sees_english_cards_and_placeholder_with_their_punctuation_in_place(
    sample_app: Gunicorn, reader
) -> None:
    """The cards' text and the placeholder take the direction of their own text (dir="auto", as
    the bubbles do): "What can you show?" ended "?What can you show" in Arabic (review, bug 6)."""
    for width in (390, 1000):
        page = reader("ar")
        page.set_viewport_size({"width": width, "height": 800})
        chat = ChatController(page)
        chat.open(f"{sample_app.url}/chat/")
        expect(chat.element.locator(".frame")).to_have_attribute("dir", "rtl")
        cards = chat.element.locator("[part~=example]")
        expect(cards.first).to_have_text("What can you show?")
        for card in cards.all():
            assert card.evaluate(ENDS_AFTER_ITS_LAST_WORD), card.text_content()
        placeholder = chat.element.locator(".placeholder-default")
        expect(placeholder).to_contain_text("a table.")
        assert placeholder.evaluate(ENDS_AFTER_ITS_LAST_WORD)
        # The element's own texts stay right to left: the message box's placeholder is Arabic.
        assert chat.element.locator(".frame").evaluate("f => getComputedStyle(f).direction") == "rtl"


def test_switching_the_page_s_language_or_the_element_s_switches_every_text_and_dir(
    sample_app: Gunicorn, reader
) -> None:
    page = reader("en-US")
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/chat/")
    chat.send("Write some Python")
    chat.expect_idle()
    labels(chat, "en")
    frame = chat.element.locator(".frame")

    page.evaluate("document.documentElement.lang = 'he'")  # a page switching its language
    labels(chat, "he")  # the buttons made before the switch too
    expect(frame).to_have_attribute("dir", "rtl")

    chat.element.evaluate("e => e.setAttribute('lang', 'fr')")  # the element's own language wins
    labels(chat, "fr")
    expect(frame).to_have_attribute("dir", "ltr")
    chat.send("Explain WSGI in a table")  # new messages come in French
    chat.expect_idle()
    labels(chat, "fr")

    chat.element.evaluate("e => e.removeAttribute('lang')")
    labels(chat, "he")
    page.evaluate("document.documentElement.lang = 'en'")
    labels(chat, "en")
    expect(frame).to_have_attribute("dir", "ltr")


def test_a_page_s_strings_override_the_locale_s(sample_app: Gunicorn, reader) -> None:
    page = reader("de-DE")
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/chat/")
    chat.element.evaluate("e => { e.strings = {send: 'Go', de: {send: 'Los!', textboxPlaceholder: 'Frag mich'}} }")
    expect(chat.send_button).to_have_attribute("aria-label", "Los!")  # the language's own over any language's
    expect(chat.input).to_have_attribute("placeholder", "Frag mich")
    chat.element.evaluate("e => e.setAttribute('lang', 'es')")
    expect(chat.send_button).to_have_attribute("aria-label", "Go")
    expect(chat.input).to_have_attribute("placeholder", texts("es")["textboxPlaceholder"])
