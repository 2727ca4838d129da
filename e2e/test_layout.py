"""Where things sit, measured in Chromium (the boxes Playwright reports), at 1000 px and on a
390 px phone: what a new user tripped on.

- The row of buttons under a message starts where its bubble does (the reader's ends where
  theirs does): no empty slot for the copy button that shows on hover, and on a phone with
  avatars no indent by an avatar column.
- The flag menu opens in view, above the message box, on a phone too.
- fn's toasts cover no message: they sit between the log and the message box.
- No empty strip above the log: the clear button sits beside the message box, keeps its focus
  ring, and `clear_btn` still labels or hides it.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from harness import ChatController, Gunicorn
from playwright.sync_api import Browser, Locator, expect

DESKTOP = {"viewport": {"width": 1000, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SLACK = 1  # px: boxes are fractional


@pytest.fixture(scope="module")
def display_app() -> Iterator[Gunicorn]:
    # One worker: the queue bots' gates live in its process.
    server = Gunicorn("display_app:create_app()", ready_path="/queue-full/", CHATBOT_WORKERS="1")
    server.start()
    yield server
    server.stop()


def open_in(browser: Browser, url: str, device: dict, scheme: str = "light") -> ChatController:
    context = browser.new_context(color_scheme=scheme, **device)
    chat = ChatController(context.new_page())
    chat.open(url)
    return chat


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[ChatController]]:
    """The chats a test opens with ``open_in``; their contexts close after it."""
    opened: list[ChatController] = []
    yield opened
    for chat in opened:
        chat.page.context.close()


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found, f"{locator} is not on screen"
    return found


def bottom(b: dict[str, float]) -> float:
    return b["y"] + b["height"]


def right(b: dict[str, float]) -> float:
    return b["x"] + b["width"]


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x"] < right(b) and b["x"] < right(a) and a["y"] < bottom(b) and b["y"] < bottom(a)


# The row's buttons a reader sees, left to right: shown, not faded to a transparent colour.
SEEN_BUTTONS = """row => [...row.querySelectorAll('button, summary')].filter(node => {
  const box = node.getBoundingClientRect()
  const style = getComputedStyle(node)
  return box.width > 0 && style.display !== 'none' && style.visibility !== 'hidden' && style.color !== 'rgba(0, 0, 0, 0)'
}).map(node => node.getBoundingClientRect().left).sort((a, b) => a - b)"""

# Every button of the row, seen or not, left to right.
ALL_BUTTONS = """row => [...row.querySelectorAll('button, summary')]
  .filter(node => node.getBoundingClientRect().width > 0)
  .map(node => ({left: node.getBoundingClientRect().left, right: node.getBoundingClientRect().right}))
  .sort((a, b) => a.left - b.left)"""


def expect_rows_start_at_their_bubbles(chat: ChatController) -> None:
    for message in chat.assistant_messages.all():
        row = message.locator(":scope > [part~=actions]")
        if not row.is_visible():
            continue
        bubble = box(message.locator(":scope > [part~=bubble]"))
        seen = row.evaluate(SEEN_BUTTONS)
        everything = row.evaluate(ALL_BUTTONS)
        assert seen, "a reply's row shows no button"
        # The first button the reader sees is the row's first, at the bubble's edge: nothing
        # invisible holds a place before it.
        assert abs(seen[0] - bubble["x"]) <= SLACK, (message.get_attribute("data-id"), seen, bubble)
        assert abs(everything[0]["left"] - seen[0]) <= SLACK, (everything, seen)


def test_a_reply_s_buttons_start_at_its_bubble_not_after_the_hidden_copy_slot(
    browser: Browser, sample_app: Gunicorn, contexts: list
) -> None:
    chat = open_in(browser, f"{sample_app.url}/sink/", DESKTOP)  # avatars, copy, thumbs and flags
    contexts.append(chat)
    for text in ("options", "thoughts"):
        chat.send(text)
        chat.expect_idle()
    chat.page.mouse.move(1, 1)  # hovering nothing: the copy buttons of earlier replies hide
    earlier = chat.assistant_messages.first
    expect(earlier.locator("[part~=copy-message]")).to_have_css("color", "rgba(0, 0, 0, 0)")
    expect_rows_start_at_their_bubbles(chat)
    # The bubble itself sits beside the avatar, the row under the bubble.
    avatar = box(earlier.locator("[part~=avatar]"))
    assert box(earlier.locator("[part~=bubble]"))["x"] >= right(avatar)


def test_the_reader_s_row_ends_at_their_bubble_beside_an_avatar(
    browser: Browser, display_app: Gunicorn, contexts: list
) -> None:
    chat = open_in(browser, f"{display_app.url}/edits/", DESKTOP)  # an edit button under the reader's messages
    contexts.append(chat)
    # The panel chat's avatars (files of the same server), on this chat.
    chat.element.evaluate("""async element => {
        const {avatar_images} = await (await fetch('/panel/config.json')).json()
        element.config = {...element.config, avatar_images}
    }""")
    chat.send("one")
    chat.expect_idle()
    mine = chat.user_messages.last
    avatar, bubble = box(mine.locator("[part~=avatar]")), box(mine.locator(":scope > [part~=bubble]"))
    assert avatar["x"] >= right(bubble)  # the avatar beside the bubble, at its end
    row = mine.locator(":scope > [part~=actions]")
    expect(row.locator("[part~=edit]")).to_be_visible()
    buttons = row.evaluate(ALL_BUTTONS)
    assert abs(buttons[-1]["right"] - right(bubble)) <= SLACK, (buttons, bubble)  # not under the avatar


def test_on_a_phone_with_avatars_nothing_indents_by_an_avatar_column(
    browser: Browser, sample_app: Gunicorn, contexts: list
) -> None:
    chat = open_in(browser, f"{sample_app.url}/sink/", PHONE, "dark")
    contexts.append(chat)
    for text in ("options", "thoughts"):
        chat.send(text)
        chat.expect_idle()
    log = box(chat.log)
    for message in chat.assistant_messages.all():
        if not message.locator(":scope > [part~=bubble]").is_visible():
            continue
        bubble = box(message.locator(":scope > [part~=bubble]"))
        # The bubble starts at the message's edge, as wide messages did and short ones did not.
        assert abs(bubble["x"] - box(message)["x"]) <= SLACK, (bubble, box(message))
        assert bubble["x"] - log["x"] < 24  # the log's padding, no avatar column
        avatar = message.locator(":scope > [part~=avatar]")
        if avatar.is_visible():
            assert bottom(box(avatar)) <= bubble["y"] + SLACK  # on its own line, above
    expect_rows_start_at_their_bubbles(chat)
    # The reader's messages end at the log's edge, their avatar above them too.
    mine = chat.user_messages.last
    assert abs(right(box(mine.locator("[part~=bubble]"))) - right(box(mine))) <= SLACK


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_flag_menu_opens_in_view_above_the_message_box(
    browser: Browser, sample_app: Gunicorn, contexts: list, device: dict
) -> None:
    chat = open_in(browser, f"{sample_app.url}/sink/", device)
    contexts.append(chat)
    for text in ("options", "thoughts", "code"):  # enough for the log to scroll: the reply is at its foot
        chat.send(text)
        chat.expect_idle()
    reply = chat.latest_assistant()
    flag = reply.locator("[part~=flag]")
    flag.click()
    choices = reply.locator("[part~=flag-option]")
    expect(choices).to_have_count(2)
    form = box(chat.element.locator("[part~=form]"))
    viewport = chat.page.viewport_size
    assert viewport
    for choice in choices.all():
        expect(choice).to_be_visible()
        seen = box(choice)
        # Whole, in the window, and clear of the message box (where they used to wrap to).
        assert seen["x"] >= 0 and right(seen) <= viewport["width"] and seen["y"] >= 0, seen
        assert bottom(seen) <= form["y"] + SLACK, (seen, form)
    # Every choice is in one column, not wrapped around the row's other buttons.
    lefts = {round(box(choice)["x"]) for choice in choices.all()}
    assert len(lefts) == 1, lefts
    choices.last.click()
    expect(choices.last).to_have_attribute("aria-pressed", "true")
    expect(choices.last).to_be_hidden()  # choosing closes the menu
    # Opened again, it closes when the reader goes elsewhere (the message box).
    flag.click()
    expect(choices.first).to_be_visible()
    chat.input.click()
    expect(choices.first).to_be_hidden()


def open_gate(server: Gunicorn, name: str) -> None:
    request = urllib.request.Request(f"{server.url}/gate/{name}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def expect_toasts_clear_of_the_log(chat: ChatController) -> None:
    toasts = box(chat.element.locator("[part~=toasts]"))
    log = box(chat.log)
    form = box(chat.element.locator("[part~=form]"))
    assert not overlap(toasts, log), (toasts, log)
    assert log["y"] < toasts["y"] and bottom(toasts) <= form["y"] + SLACK, (log, toasts, form)
    # The reader's latest message is in the log's view, under no toast.
    latest = box(chat.user_messages.last)
    assert latest["y"] >= log["y"] - SLACK and bottom(latest) <= bottom(log) + SLACK, (latest, log)


@pytest.mark.parametrize(("device", "scheme"), [(DESKTOP, "light"), (PHONE, "dark")], ids=["desktop", "phone"])
def test_toasts_sit_above_the_message_box_and_cover_no_message(
    browser: Browser, display_app: Gunicorn, contexts: list, device: dict, scheme: str
) -> None:
    chat = open_in(browser, f"{display_app.url}/queue-full/", device, scheme)
    contexts.append(chat)
    name = f"warn-{'phone' if device is PHONE else 'desktop'}"
    chat.send(name)
    info = chat.element.locator("[part~=toast-info]", has_text=f"Started {name}")
    try:
        expect(info).to_be_visible()
        expect(info).to_have_attribute("role", "status")  # read out when the reader's screen reader is free
        expect_toasts_clear_of_the_log(chat)
    finally:
        open_gate(display_app, f"go-{name}")  # whatever happened: the next test's turn is not kept in line
    warning = chat.element.locator("[part~=toast-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("role", "alert")  # read out at once
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(f"answered {name}")
    chat.expect_idle()
    expect_toasts_clear_of_the_log(chat)
    # The reply is in view too: the log made room for the toasts and followed its end.
    reply, log = box(chat.latest_assistant()), box(chat.log)
    assert bottom(reply) <= bottom(log) + SLACK, (reply, log)


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_empty_strip_above_the_log_and_the_clear_button_beside_the_message_box(
    browser: Browser, sample_app: Gunicorn, contexts: list, device: dict
) -> None:
    chat = open_in(browser, f"{sample_app.url}/chat/", device)
    contexts.append(chat)
    chat.send("Hello")
    chat.expect_idle()
    frame = box(chat.element.locator(".frame"))
    # The log starts at the top of the element: no strip holding a lone button.
    assert box(chat.log)["y"] - frame["y"] <= SLACK, (box(chat.log), frame)
    clear = chat.element.locator("[part~=clear-button]")
    expect(clear).to_be_visible()
    expect(clear).to_have_accessible_name("Clear conversation")
    button, composer = box(clear), box(chat.element.locator(".composer"))
    assert composer["y"] <= button["y"] and bottom(button) <= bottom(composer), (button, composer)  # in its row
    assert right(button) <= composer["x"], (button, composer)  # before the box, not over it
    # From the keyboard: Shift+Tab from the message box reaches it, with its focus ring.
    chat.input.focus()
    chat.page.keyboard.press("Shift+Tab")
    expect(clear).to_be_focused()
    expect(clear).to_have_css("outline-style", "solid")
    expect(clear).to_have_css("outline-width", "2px")
    chat.page.keyboard.press("Enter")
    expect(chat.messages).to_have_count(0)


def test_clear_btn_still_labels_the_clear_button_beside_the_message_box(
    browser: Browser, display_app: Gunicorn, contexts: list
) -> None:
    chat = open_in(browser, f"{display_app.url}/labels/", PHONE)  # clear_btn="🗑️ Clear"
    contexts.append(chat)
    clear = chat.element.locator("[part~=clear-button]")
    expect(clear).to_have_text("🗑️ Clear")
    form = box(chat.element.locator("[part~=form]"))
    assert form["y"] <= box(clear)["y"] and bottom(box(clear)) <= bottom(form)
    assert box(chat.log)["y"] - box(chat.element.locator(".frame"))["y"] <= SLACK


PHONE_SMALL = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
PHONE_SIDEWAYS = {"viewport": {"width": 844, "height": 390}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize(
    ("device", "scheme"),
    [(PHONE_SMALL, "light"), (PHONE_SIDEWAYS, "dark"), (DESKTOP, "light")],
    ids=["phone", "sideways", "desktop"],
)
def test_many_toasts_leave_the_log_most_of_the_height_and_the_message_box_in_view(
    browser: Browser, display_app: Gunicorn, contexts: list, device: dict, scheme: str
) -> None:
    """Five toasts used to take 380 px on a phone: the log kept 42 px, and a phone held sideways
    lost the message box below the window. Their room is bounded now: the newest shows, older
    ones scroll (review, bug 1)."""
    chat = open_in(browser, f"{display_app.url}/queue-full/", device, scheme)
    contexts.append(chat)
    toasts = chat.element.locator("[part~=toast]")
    for turn in range(3):  # each turn: "Started ..." and a warning that stays until closed
        name = f"warn-many-{turn}-{device['viewport']['height']}"
        chat.send(name)
        started = chat.element.locator("[part~=toast-info]", has_text=f"Started {name}")
        try:
            expect(started).to_be_attached()
        finally:
            open_gate(display_app, f"go-{name}")
        expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(f"answered {name}")
        chat.expect_idle()
    expect(toasts).to_have_count(5)  # the oldest of six went
    viewport = chat.page.viewport_size
    assert viewport
    region, log, element = box(chat.element.locator("[part~=toasts]")), box(chat.log), box(chat.element)
    form = box(chat.element.locator("[part~=form]"))
    # The toasts take a bounded share; the log keeps the most of the element's height.
    assert region["height"] <= 0.22 * viewport["height"] + SLACK, region
    assert log["height"] >= 0.5 * (element["height"] - form["height"]), (log, element, form)
    assert log["height"] >= 2 * region["height"], (log, region)
    # The message box is whole in the window, under the toasts.
    assert bottom(form) <= viewport["height"] + SLACK and form["y"] >= bottom(region) - SLACK, (form, region, viewport)
    # The newest toast is in view in its region (the older ones scroll), and every toast's
    # close button can be reached by scrolling the region.
    newest = box(toasts.last)
    assert newest["y"] >= region["y"] - SLACK and bottom(newest) <= bottom(region) + SLACK, (newest, region)
    toasts.first.locator(".toast-close").click()
    expect(toasts).to_have_count(4)


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_flag_menu_closes_on_escape_and_on_a_press_outside_it(
    browser: Browser, sample_app: Gunicorn, contexts: list, device: dict
) -> None:
    """As a menu does: Escape closes it and gives focus back to its Flag button; a tap or a
    click anywhere outside it closes it, on the page around the chat too (review, bug 4)."""
    chat = open_in(browser, f"{sample_app.url}/sink/", device)
    contexts.append(chat)
    page = chat.page
    chat.send("code")
    chat.expect_idle()
    reply = chat.latest_assistant()
    flag = reply.locator("[part~=flag]")
    choices = reply.locator("[part~=flag-option]")
    press = (lambda x, y: page.touchscreen.tap(x, y)) if device is PHONE else (lambda x, y: page.mouse.click(x, y))
    # Escape, from the menu's first choice (reached by Tab) and from its button.
    flag.focus()
    page.keyboard.press("Enter")
    expect(choices.first).to_be_visible()
    page.keyboard.press("Tab")
    expect(choices.first).to_be_focused()
    page.keyboard.press("Escape")
    expect(choices.first).to_be_hidden()
    expect(flag).to_be_focused()
    page.keyboard.press("Enter")
    expect(choices.first).to_be_visible()
    page.keyboard.press("Escape")
    expect(choices.first).to_be_hidden()
    expect(flag).to_be_focused()
    # A press outside: on the page above the chat, then on another message's bubble.
    above = box(chat.element)["y"] / 2
    for target in (lambda: press(2, above), lambda: press(*centre(chat.user_messages.last.locator("[part~=bubble]")))):
        press(*centre(flag))
        expect(choices.first).to_be_visible()
        target()
        expect(choices.first).to_be_hidden()
    # A press on the menu's own button still toggles it, and on a choice picks it.
    press(*centre(flag))
    expect(choices.first).to_be_visible()
    press(*centre(choices.first))
    expect(choices.first).to_have_attribute("aria-pressed", "true")
    expect(choices.first).to_be_hidden()


def centre(locator: Locator) -> tuple[float, float]:
    b = box(locator)
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
