"""Everything by keyboard (issue 9, item 8): Tab reaches every control the chat shows, each
with a visible focus indicator, and the controls work from the keyboard alone.

The walk presses Tab from the top of the page and follows the focus into the element's
shadow root; what it must reach is every visible, enabled control there (buttons, text boxes,
inputs, summaries, links, focusable regions)."""

from __future__ import annotations

import pytest
from harness import ChatController, Gunicorn
from playwright.sync_api import Page, expect

# The focused node through shadow roots, whether the browser shows it as keyboard focus, and
# whether something draws it (an outline or a ring).
FOCUSED = """() => {
  let node = document.activeElement
  while (node && node.shadowRoot && node.shadowRoot.activeElement) node = node.shadowRoot.activeElement
  if (!node || node === document.body) return null
  // Drawn on the node, or on the box around it (the message box's ring is its composer's).
  const ring = el => {
    const style = getComputedStyle(el)
    return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none'
  }
  const drawn = ring(node) || (node.parentElement?.matches(':focus-within') && ring(node.parentElement))
  const key = node.getAttribute('part') || node.getAttribute('aria-label') || node.className || node.tagName
  return {key: `${node.tagName.toLowerCase()}:${key}:${node.textContent.trim().slice(0, 20)}`,
          visible: node.matches(':focus-visible'), drawn, inChat: node.getRootNode() !== document}
}"""

# Every control of the chat a reader can see and use.
CONTROLS = """() => {
  const root = document.querySelector('chat-bot').shadowRoot
  const all = [...root.querySelectorAll('button, textarea, input:not([type=hidden]), select, summary, a[href], [tabindex="0"]')]
  return all.filter(node => {
    if (node.disabled || node.closest('[hidden], [inert]') || node.tabIndex < 0) return false
    if (node.closest('details:not([open])') && node.tagName !== 'SUMMARY') return false  // a closed menu's
    const box = node.getBoundingClientRect()
    const style = getComputedStyle(node)
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && parseFloat(style.opacity) > 0
  }).map(node => {
    const key = node.getAttribute('part') || node.getAttribute('aria-label') || node.className || node.tagName
    return `${node.tagName.toLowerCase()}:${key}:${node.textContent.trim().slice(0, 20)}`
  })
}"""


def tab_walk(page: Page, limit: int = 120) -> list[dict]:
    page.locator("body").click(position={"x": 2, "y": 2})  # start at the top of the page
    seen: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (seen and focused["key"] == seen[0]["key"]):
            break
        seen.append(focused)
    return seen


@pytest.mark.parametrize(
    ("path", "messages"),
    [
        ("/chat/", ("Write some Python",)),  # a reply with code, links, a table; copy, retry, undo, edit
        ("/sink/", ("options", "thoughts")),  # preset replies, thoughts, feedback and flags
        ("/history-demo/", ("Hello",)),  # the saved chats' panel
    ],
)
def test_tab_reaches_every_control_with_visible_focus(
    page: Page, sample_app: Gunicorn, path: str, messages: tuple[str, ...]
) -> None:
    chat = ChatController(page)
    chat.open(f"{sample_app.url}{path}")
    for text in messages:
        chat.send(text)
        chat.expect_idle()
    controls = page.evaluate(CONTROLS)
    walk = [step for step in tab_walk(page) if step["inChat"]]
    reached = {step["key"] for step in walk}
    missing = [control for control in controls if control not in reached]
    assert not missing, f"Tab never reaches {missing}"
    unseen = [step["key"] for step in walk if not (step["visible"] and step["drawn"])]
    assert not unseen, f"no visible focus on {unseen}"


def test_a_conversation_by_keyboard_alone(page: Page, sample_app: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/chat/")
    expect(chat.input).to_be_focused()  # autofocus
    for _ in range(40):  # back to the example cards
        page.keyboard.press("Shift+Tab")
        if "example" in (page.evaluate(FOCUSED) or {}).get("key", ""):
            break
    else:
        raise AssertionError("Shift+Tab from the message box never reaches an example card")
    page.keyboard.press("Enter")
    expect(chat.user_messages).to_have_count(1)
    expect(chat.latest_assistant()).to_have_attribute("data-status", "done", timeout=15_000)
    chat.expect_idle()
    # Retry from the keyboard: Tab to it from the message box.
    first_reply = chat.latest_assistant().element_handle()
    chat.input.focus()
    retry = chat.element.locator("[part~=retry]")
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if retry.evaluate("b => b.getRootNode().activeElement === b"):
            break
    else:
        raise AssertionError("Shift+Tab from the message box never reaches Retry")
    page.keyboard.press("Enter")
    page.wait_for_function("reply => !reply.isConnected", arg=first_reply, timeout=10_000)  # retried: a new reply
    expect(chat.latest_assistant()).to_have_attribute("data-status", "done", timeout=15_000)
    chat.expect_idle()
    expect(chat.input).to_be_focused()  # the button went away with the new reply: focus goes on
    expect(chat.assistant_messages).to_have_count(1)
    page.keyboard.type("And now?")
    page.keyboard.press("Enter")
    chat.expect_idle()
    expect(chat.user_messages).to_have_count(2)
