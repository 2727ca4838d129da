"""The README's pictures of the chat, made anew on every run so they show the product as it is:
the sample app's chat after one question, at desktop and phone widths, light and dark.

Each picture is taken only once the reply is complete and the page fits its width, which is
what the test asserts; the files land in docs/images/, rewritten only when the picture changed
more than Chromium's antialiasing varies from run to run (a pixel or two), so a run that
changed nothing visible leaves the checkout clean."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from harness import ChatController, Gunicorn, watch_problems
from PIL import Image, ImageChops
from playwright.sync_api import Browser, expect

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
# Tall enough on a desktop for the question and the whole answer; a phone shows the answer's end.
# Pixels that may differ (by more than a faint shade) before a picture counts as changed.
NOISE_PIXELS = 50


def changed(path: Path, picture: bytes) -> bool:
    if not path.exists():
        return True
    old, new = Image.open(path).convert("RGB"), Image.open(io.BytesIO(picture)).convert("RGB")
    if old.size != new.size:
        return True
    mask = ImageChops.difference(old, new).convert("L").point(lambda value: 255 if value > 16 else 0)
    return mask.histogram()[255] > NOISE_PIXELS


VIEWS = {"desktop": {"width": 1000, "height": 1060}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_the_readme_shows_the_chat_as_a_reader_sees_it(
    browser: Browser, sample_app: Gunicorn, view: str, scheme: str
) -> None:
    context = browser.new_context(viewport=VIEWS[view], color_scheme=scheme, device_scale_factor=1)
    page = context.new_page()
    problems = watch_problems(page)
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/chat/")
    chat.send("Explain WSGI in a table")
    reply = chat.latest_assistant()
    expect(reply).to_have_attribute("data-status", "done", timeout=20_000)
    expect(reply.locator("table")).to_be_visible()
    chat.expect_idle()
    chat.input.blur()  # no caret blinking into the picture
    # Nothing sticks out sideways: a phone reader never scrolls the page left and right.
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    picture = page.screenshot(animations="disabled", caret="hide")
    assert len(picture) > 10_000  # a page, not a blank
    path = IMAGES / f"chat-{view}-{scheme}.png"
    if changed(path, picture):
        IMAGES.mkdir(exist_ok=True)
        path.write_bytes(picture)
    assert problems == []
    context.close()
