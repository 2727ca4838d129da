"""What each kind of message looks like in Chromium: thoughts, options, media, code, math,
the panel layout, RTL and the accessible names, against e2e/display_app.py under gunicorn.

display_app's bots wait at gates the test opens with a POST, so a test sees a reply's
intermediate states (a pending thought) for as long as it needs, without sleeping. One
worker: a gate lives in the worker's memory. ``SHOTS=1`` saves screenshots of the main
states to /tmp/shots/display-*.png for a person to look at (nothing asserts them).
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import watch_problems
from harness import ChatController, Gunicorn
from playwright.sync_api import Browser, Locator, Page, expect

SHOTS = Path("/tmp/shots")
VIEWPORT = {"width": 1000, "height": 800}


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    gunicorn = Gunicorn("display_app:create_app()", ready_path="/chat/", CHATBOT_WORKERS="1")
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


@pytest.fixture
def open_chat(page: Page, server: Gunicorn) -> Iterator[Callable[[str], ChatController]]:
    """Open the chat at a path of display_app; no console error may happen meanwhile."""

    def open_at(path: str) -> ChatController:
        chat = ChatController(page)
        chat.open(f"{server.url}{path}")
        return chat

    yield open_at


@pytest.fixture
def chat(open_chat: Callable[[str], ChatController]) -> ChatController:
    return open_chat("/chat/")


@pytest.fixture
def clipboard_chat(browser: Browser, server: Gunicorn) -> Iterator[ChatController]:
    """/chat/ in a context that may read and write the clipboard (the page fixture's checks)."""
    context = browser.new_context(viewport=VIEWPORT, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    problems = watch_problems(page)
    try:
        chat = ChatController(page)
        chat.open(f"{server.url}/chat/")
        yield chat
        assert problems == []
    finally:
        context.close()


def open_gate(server: Gunicorn, name: str) -> None:
    """Let the reply waiting at gate `name` go on."""
    request = urllib.request.Request(f"{server.url}/gate/{name}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("SHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"display-{name}.png"))


def thought(chat: ChatController, title: str) -> Locator:
    """The thought message whose own title (not a nested one's) is `title`."""
    own_title = chat.page.locator(":scope > .bubble > [part~=thought-toggle] [part~=thought-title]")
    return chat.element.locator(".message.thought").filter(has=own_title.filter(has_text=re.compile(f"^{title}$")))


def content(message: Locator) -> Locator:
    """What a plain message says (its copy button's label is no part of it)."""
    return message.locator(":scope > [part~=bubble] > [part~=content]")


def own_toggle(message: Locator) -> Locator:
    return message.locator(":scope > .bubble > [part~=thought-toggle]")


def own_body(message: Locator) -> Locator:
    return message.locator(":scope > .bubble > [part~=thought-body]")


def own_content(message: Locator) -> Locator:
    return message.locator(":scope > .bubble > [part~=thought-body] > [part~=content]")


def expect_loaded(image: Locator) -> None:
    """The image finished loading and decoded to real pixels (a broken one has width 0)."""
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0


def clipboard(chat: ChatController) -> str:
    return chat.page.evaluate("navigator.clipboard.readText()")


def test_a_thought_goes_from_pending_to_done(chat: ChatController, server: Gunicorn) -> None:
    chat.send("thought")
    message = chat.element.locator(".message.thought")
    toggle = own_toggle(message)
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")  # pending starts open
    expect(toggle.locator(".thought-spinner")).to_be_visible()
    expect(toggle.locator("[part~=thought-title] em")).to_have_text("Thinking")  # the title is Markdown
    expect(message.locator("[part~=thought-log]")).to_have_text("3 sources")
    expect(message.locator("[part~=thought-log]")).to_be_visible()
    expect(own_content(message)).to_have_text("Looking")
    screenshot(chat.page, "thought-pending")
    open_gate(server, "more")
    expect(own_content(message)).to_have_text("Looking it up")
    expect(toggle.locator(".thought-spinner")).to_be_visible()  # still pending
    open_gate(server, "done")
    expect(content(chat.assistant_messages.last)).to_have_text("It will be sunny.")
    expect(toggle.locator(".thought-spinner")).to_be_hidden()
    expect(toggle.locator("[part~=thought-duration]")).to_have_text("2.5s")
    expect(toggle.locator("[part~=thought-title] em")).to_have_text("Thought")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # done collapses
    expect(own_body(message)).to_be_hidden()
    expect(message).to_have_attribute("aria-label", "Thought")
    chat.expect_idle()


def test_the_readers_toggle_sticks_while_the_thought_streams(chat: ChatController, server: Gunicorn) -> None:
    chat.send("thought")
    message = chat.element.locator(".message.thought")
    toggle = own_toggle(message)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle.locator(".thought-spinner")).to_be_visible()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(own_body(message)).to_be_hidden()
    open_gate(server, "more")
    # to_have_text reads textContent: the patch has arrived though the body is hidden.
    expect(own_content(message)).to_have_text("Looking it up")
    assert own_content(message).evaluate("node => node.textContent") == "Looking it up"
    # Still pending, which opens a thought by default: the reader closed it, so it stays closed.
    expect(toggle.locator(".thought-spinner")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(own_body(message)).to_be_hidden()
    open_gate(server, "done")
    expect(content(chat.assistant_messages.last)).to_have_text("It will be sunny.")
    chat.expect_idle()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(own_content(message)).to_be_visible()
    expect(own_content(message)).to_have_text("Looking it up")
    chat.send("after")  # another turn changes nothing in it
    expect(content(chat.assistant_messages.last)).to_have_text("echo after")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(own_content(message)).to_be_visible()


def test_thoughts_nest_by_parent_id_and_toggle_by_keyboard(chat: ChatController) -> None:
    chat.send("nested")
    plan, search, fetch = thought(chat, "Plan"), thought(chat, "Search"), thought(chat, "Fetch")
    expect(fetch).to_be_visible()
    children = ":scope > .bubble > [part~=thought-body] > .thought-children > [part~=message]"
    expect(plan.locator(children)).to_have_count(1)
    expect(plan.locator(children).locator(":scope > .bubble > [part~=thought-toggle]")).to_have_text("Search")
    expect(search.locator(children)).to_have_count(1)
    expect(search.locator(children).locator(":scope > .bubble > [part~=thought-toggle]")).to_have_text("Fetch")
    expect(own_content(fetch)).to_have_text("fetch")
    top_level = chat.log.locator(":scope > [part~=message]")
    expect(top_level).to_have_count(3)  # the question, Plan (holding the others), the answer
    expect(top_level.nth(1)).to_have_attribute("data-id", plan.get_attribute("data-id") or "")
    expect(content(top_level.nth(2))).to_have_text("Answer.")
    chat.expect_idle()
    screenshot(chat.page, "nested")
    toggle = own_toggle(plan)
    expect(toggle).to_have_attribute("aria-expanded", "true")  # no status: open
    toggle.focus()
    expect(toggle).to_be_focused()
    chat.page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(search).to_be_hidden()
    chat.page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(search).to_be_visible()


def test_an_option_sends_its_value_and_runs_fn(chat: ChatController) -> None:
    chat.send("options")
    reply = chat.assistant_messages.last
    expect(reply).to_contain_text("Pick a colour.")
    expect(reply.locator("[part~=option]")).to_have_text(["Blue", "red"])
    blue = reply.get_by_role("button", name="Blue", exact=True)
    expect(blue).to_be_visible()
    chat.expect_idle()
    blue.click()
    expect(chat.user_messages.last).to_have_text("blue")
    expect(content(chat.assistant_messages.last)).to_have_text("You picked blue.")
    expect(blue).to_be_hidden()
    expect(reply.get_by_role("button", name="red", exact=True)).to_be_hidden()


# Every <img alt="The bot"> ever added to the element's shadow root, in window.addedImages.
# Chromium serves an <img> re-created with the same URL from its memory cache, without a
# request, so counting requests alone would not see the element re-created on a patch.
RECORD_ADDED_IMAGES = """host => {
    window.addedImages = []
    new MutationObserver(records => {
        for (const record of records) for (const node of record.addedNodes) {
            if (node.nodeType !== Node.ELEMENT_NODE) continue
            for (const img of [node, ...node.querySelectorAll('img')]) {
                if (img.matches('img[alt="The bot"]')) window.addedImages.push(img)
            }
        }
    }).observe(host.shadowRoot, {childList: true, subtree: true})
}"""


def test_an_image_in_a_streaming_reply_is_created_and_fetched_once(chat: ChatController) -> None:
    fetched: list[str] = []
    chat.page.on("request", lambda request: fetched.append(request.url) if "/chat/files/" in request.url else None)
    chat.element.evaluate(RECORD_ADDED_IMAGES)
    chat.send("image")
    expect(content(chat.assistant_messages.last)).to_have_text(
        "A picture streamed beside words that keep coming", timeout=15_000
    )
    chat.expect_idle()
    image = chat.element.get_by_role("img", name="The bot")
    expect(image).to_be_visible()
    expect_loaded(image)
    assert len(fetched) == 1, fetched
    assert chat.page.evaluate("window.addedImages.length") == 1
    assert image.evaluate("img => window.addedImages[0] === img")  # the one shown is the first one


def test_audio_plays_and_downloads(chat: ChatController) -> None:
    chat.send("audio")
    chat.expect_idle()
    audio = chat.assistant_messages.last.locator("audio[controls]")
    expect(audio).to_have_count(1)
    expect(audio).to_be_visible()
    link = chat.assistant_messages.last.locator("a.media-download, a[download]").first
    expect(link).to_be_visible()
    download = chat.page.evaluate(
        """async href => {
            const response = await fetch(href)
            return {status: response.status, disposition: response.headers.get('content-disposition')}
        }""",
        link.evaluate("a => a.href"),
    )
    assert download["status"] == 200
    assert download["disposition"].startswith("attachment")
    played = chat.page.evaluate(
        """async src => {
            const whole = await fetch(src)
            const part = await fetch(src, {headers: {Range: 'bytes=0-99'}})
            return {
                status: whole.status, type: whole.headers.get('content-type'),
                rangeStatus: part.status, rangeLength: (await part.arrayBuffer()).byteLength,
            }
        }""",
        audio.evaluate("a => a.currentSrc || a.src"),
    )
    assert played["status"] == 200
    assert played["type"].startswith("audio/")
    assert played["rangeStatus"] == 206
    assert played["rangeLength"] == 100


def test_a_code_block_is_highlighted_and_copied(clipboard_chat: ChatController) -> None:
    chat = clipboard_chat
    chat.send("code")
    chat.expect_idle()
    block = chat.assistant_messages.last.locator(".code-block")
    expect(block.locator(".code-language")).to_have_text("python")
    expect(block.locator("pre code span").first).to_be_visible()
    assert block.locator("pre code span").count() > 1
    button = block.locator("[part~=copy-code]")
    button.click()
    expect(button).to_have_text("Copied")
    assert clipboard(chat) == "print('hi')\nx = 1 < 2\n"


def test_copy_a_message_and_the_whole_conversation(clipboard_chat: ChatController) -> None:
    chat = clipboard_chat
    chat.send("hello")
    expect(content(chat.assistant_messages.last)).to_have_text("echo hello")
    chat.expect_idle()
    reply = chat.assistant_messages.last
    reply.hover()
    button = reply.locator("[part~=copy-message]")
    button.click()
    expect(button).to_have_text("Copied")
    assert clipboard(chat) == "echo hello"
    copy_all = chat.element.locator("[part~=copy-all]")
    expect(copy_all).to_be_visible()
    copy_all.click()
    expect(copy_all).to_have_text("Copied")
    assert clipboard(chat) == "user: hello\n\nassistant: echo hello\n\n— via test"


def test_display_math_becomes_mathml_and_prices_stay_text(chat: ChatController) -> None:
    chat.send("math")
    chat.expect_idle()
    reply = chat.assistant_messages.last
    expect(reply.locator("math[display=block]")).to_have_count(1)
    expect(reply.locator("math[display=block]")).to_be_visible()
    expect(reply).to_contain_text("$3,000 and $4,000")


def test_the_panel_page_shows_label_avatar_and_initial_value(open_chat: Callable[[str], ChatController]) -> None:
    chat = open_chat("/panel/")
    expect(chat.element.locator("[part~=label]")).to_have_text("Helper")
    expect(chat.element.locator("[part~=label]")).to_be_visible()
    # The header holds the label; the clear button sits beside the message box, not in it.
    form = chat.element.locator("[part~=form]").bounding_box()
    clear = chat.element.locator("[part~=clear-button]").bounding_box()
    assert form and clear and form["y"] <= clear["y"] and clear["y"] + clear["height"] <= form["y"] + form["height"]
    expect(chat.element.locator(".frame")).to_have_attribute("data-layout", "panel")
    welcome = chat.assistant_messages.first
    expect(content(welcome)).to_have_text("Hello!")
    expect(welcome).to_be_visible()
    avatar = welcome.locator("[part~=avatar]")
    expect(avatar).to_be_visible()
    expect_loaded(avatar)
    # The system prompt stays on the server: it never reaches the page.
    expect(chat.element.locator("[part~=message][data-role=system]")).to_have_count(0)
    screenshot(chat.page, "panel")
    # fn's history: the server's system message, the initial value, then the turns before
    # this one; the message being answered is fn's `message`, as in Gradio.
    chat.send("history")
    expect(content(chat.assistant_messages.last)).to_have_text("system,assistant")
    chat.expect_idle()
    chat.send("history")
    expect(content(chat.assistant_messages.last)).to_have_text("system,assistant,user,assistant")
    box = chat.element.bounding_box()  # Chatbot(height=500)
    assert box is not None and box["height"] == 500
    # elem_id and elem_classes land on the element, for the page's CSS.
    expect(chat.element).to_have_id("helper-chat")
    expect(chat.element).to_have_class("chat-page__chat support wide")


def test_a_run_of_one_authors_messages_shows_one_avatar(open_chat: Callable[[str], ChatController]) -> None:
    chat = open_chat("/panel/")
    chat.send("nested")  # four assistant messages in a row: the thoughts nest, "Answer." follows
    chat.expect_idle()
    top = chat.element.locator(".log > [part~=message][data-role=assistant]:not([hidden])")
    expect(top).to_have_count(3)  # "Hello!", the Plan thought, "Answer."
    answer = top.last
    expect(answer).to_have_class(re.compile(r"\bcontinued\b"))
    # The run's first message shows the avatar; the next ones keep its place, hidden.
    expect(top.nth(1).locator("> [part~=avatar]")).to_be_visible()
    expect(answer.locator("> [part~=avatar]")).to_be_hidden()


def test_rtl_puts_the_users_bubble_on_the_left(open_chat: Callable[[str], ChatController]) -> None:
    chat = open_chat("/rtl/")
    expect(chat.element.locator(".frame")).to_have_attribute("dir", "rtl")
    chat.send("hi")
    expect(content(chat.assistant_messages.last)).to_have_text("echo hi")
    chat.expect_idle()
    user = chat.user_messages.last.locator("[part~=bubble]").bounding_box()
    assistant = chat.assistant_messages.last.locator("[part~=bubble]").bounding_box()
    assert user is not None and assistant is not None
    assert user["x"] + user["width"] <= assistant["x"], (user, assistant)
    screenshot(chat.page, "rtl")


def test_messages_are_labelled_articles_busy_while_streaming(chat: ChatController, server: Gunicorn) -> None:
    chat.send("hello")
    expect(content(chat.assistant_messages.last)).to_have_text("echo hello")
    chat.expect_idle()
    expect(chat.user_messages.last).to_have_attribute("role", "article")
    expect(chat.user_messages.last).to_have_attribute("aria-label", "You")
    expect(chat.assistant_messages.last).to_have_attribute("role", "article")
    expect(chat.assistant_messages.last).to_have_attribute("aria-label", "Assistant")
    expect(chat.element.get_by_role("article", name="You", exact=True)).to_have_count(1)
    expect(chat.element.get_by_role("article", name="Assistant", exact=True)).to_have_count(1)
    chat.send("thought")
    message = chat.element.locator(".message.thought")
    expect(message).to_have_attribute("aria-busy", "true")
    expect(message).to_have_attribute("role", "article")
    open_gate(server, "more")
    expect(own_content(message)).to_have_text("Looking it up")
    expect(message).to_have_attribute("aria-busy", "true")  # announced once, when complete
    open_gate(server, "done")
    expect(content(chat.assistant_messages.last)).to_have_text("It will be sunny.")
    expect(message).not_to_have_attribute("aria-busy", "true")
    chat.expect_idle()
    for item in chat.messages.all():
        expect(item).to_have_attribute("role", "article")
        expect(item).to_have_attribute("aria-label", re.compile("^(You|Assistant|Thought)$"))
