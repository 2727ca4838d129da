"""The <chat-bot> element alone in Chromium, under a strict CSP, fed the canonical frames.

No Python server: a tiny threaded http.server serves the repository's webcomponent/
and a test page; WebSockets are answered by Playwright's ``route_web_socket``. Every
test fails on a console error, a page error or a CSP violation.

    python -m pytest e2e/test_element_frames.py
"""

from __future__ import annotations

import html
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURE = HERE / "../tests/fixtures/frames.json"
CSP = "default-src 'self'; script-src 'self'; style-src 'self'"
CSP_TRUSTED_TYPES = CSP + "; require-trusted-types-for 'script'; trusted-types chat-bot"

CONFIG: dict[str, Any] = {
    "version": 1,
    "socket": "/chat/socket",
    "placeholder": "<p>Ask me <strong>anything</strong>.</p>",
    "textbox_placeholder": "Type a message…",
    "submit_btn": True,
    "stop_btn": True,
    "autofocus": True,
    "autoscroll": True,
    "rtl": False,
}

# Registered first, as a classic script, so that no violation can happen before it listens.
WATCH_JS = """
window.__violations = []
document.addEventListener('securitypolicyviolation', e => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`)
})
window.__events = []
for (const name of ['submit', 'stop', 'message', 'connection', 'error']) {
  document.addEventListener(`chat-bot-${name}`, e => {
    window.__events.push({type: e.type, detail: JSON.parse(JSON.stringify(e.detail))})
  })
}
"""

PAGE_JS = """
import '/webcomponent/chat-bot.js'
const bot = document.querySelector('chat-bot')
if (bot.dataset.preventSubmit !== undefined) {
  bot.addEventListener('chat-bot-submit', e => e.preventDefault())
}
await customElements.whenDefined('chat-bot')
window.__ready = true
"""

TRUSTED_TYPES_JS = """
import {ChatBotElement} from '/webcomponent/element.js'
window.__policyCalls = 0
ChatBotElement.setCSPTrustedTypesPolicy(trustedTypes.createPolicy('chat-bot', {
  createHTML: html => { window.__policyCalls++; return html },
}))
await import('/webcomponent/chat-bot.js')
window.__ready = true
"""

PAGE_CSS = """
html, body { margin: 0; height: 100%; background: Canvas; color-scheme: light dark; }
chat-bot { height: 100vh; }
"""


def page_html(script: str, attributes: dict[str, str]) -> str:
    attrs = "".join(f' {name}="{html.escape(value)}"' for name, value in attributes.items())
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>chat-bot</title>"
        '<link rel=stylesheet href="/__test__/page.css">'
        '<script src="/__test__/watch.js"></script>'
        f'<script type=module src="/__test__/{script}"></script>'
        f"</head><body><chat-bot{attrs}></chat-bot></body></html>"
    )


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves webcomponent/ from the repository, the test pages and config.json."""

    config: dict[str, Any] = CONFIG

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        csp = CSP
        if url.path == "/__test__/page.html":
            body, kind = page_html("page.js", query).encode(), "text/html; charset=utf-8"
        elif url.path == "/__test__/trusted-types.html":
            body, kind = page_html("trusted-types.js", query).encode(), "text/html; charset=utf-8"
            csp = CSP_TRUSTED_TYPES
        elif url.path == "/__test__/page.js":
            body, kind = PAGE_JS.encode(), "text/javascript"
        elif url.path == "/__test__/trusted-types.js":
            body, kind = TRUSTED_TYPES_JS.encode(), "text/javascript"
        elif url.path == "/__test__/watch.js":
            body, kind = WATCH_JS.encode(), "text/javascript"
        elif url.path == "/__test__/page.css":
            body, kind = PAGE_CSS.encode(), "text/css"
        elif url.path == "/chat/config.json":
            body, kind = json.dumps(self.config).encode(), "application/json"
        elif url.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        else:
            path = (ROOT / url.path.lstrip("/")).resolve()
            types = {".js": "text/javascript", ".css": "text/css"}
            if not path.is_relative_to(ROOT / "webcomponent") or not path.is_file() or path.suffix not in types:
                self.send_error(404)
                return
            body, kind = path.read_bytes(), types[path.suffix]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", csp)
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        pass


@pytest.fixture(scope="module")
def static_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def element_browser(browser: Browser) -> Browser:
    """The session's Chromium (e2e/conftest.py): one Playwright instance per process."""
    return browser


@pytest.fixture(scope="module")
def fixture_frames() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


class ChatBot:
    """A page object for one <chat-bot> on a test page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.host = page.locator("chat-bot")
        self.log = page.locator("chat-bot [part~=log]")
        self.input = page.locator("chat-bot [part~=input]")
        self.send_button = page.locator("chat-bot [part~=send-button]")
        self.stop_button = page.locator("chat-bot [part~=stop-button]")
        self.placeholder = page.locator("chat-bot [part~=placeholder]")
        self.pending = page.locator("chat-bot [part~=pending]")
        self.status = page.locator("chat-bot [part~=status]")
        self.scroll_button = page.locator("chat-bot [part~=scroll-button]")
        self.errors = page.locator("chat-bot [part~=error]")
        self.note = page.locator("chat-bot [part~=input-note]")

    def message(self, message_id: str):
        return self.page.locator(f'chat-bot [part~=message][data-id="{message_id}"]')

    def content(self, message_id: str):
        return self.message(message_id).locator("[part~=content]")

    def apply(self, *frames: dict[str, Any]) -> None:
        self.page.evaluate(
            "frames => frames.forEach(f => document.querySelector('chat-bot').applyFrame(f))", list(frames)
        )

    def messages(self) -> list[dict[str, Any]]:
        return self.page.evaluate("document.querySelector('chat-bot').messages")

    def set_messages(self, messages: list[dict[str, Any]]) -> None:
        self.page.evaluate("m => { document.querySelector('chat-bot').messages = m }", messages)

    def events(self, kind: str) -> list[dict[str, Any]]:
        return self.page.evaluate(
            "kind => window.__events.filter(e => e.type === kind).map(e => e.detail)", f"chat-bot-{kind}"
        )

    def wait_for_events(self, kind: str, count: int) -> list[dict[str, Any]]:
        self.page.wait_for_function(
            "([kind, count]) => window.__events.filter(e => e.type === kind).length >= count",
            arg=[f"chat-bot-{kind}", count],
        )
        return self.events(kind)


@pytest.fixture
def open_page(element_browser: Browser, static_server: str) -> Iterator[Any]:
    """Open a test page: ``open_page(src="/chat")``; fails the test on any error or violation."""
    contexts = []
    problems: list[str] = []

    def open_(
        path: str = "page.html", *, color_scheme: str = "light", route=None, clock=False, **attributes: str
    ) -> ChatBot:
        context = element_browser.new_context(color_scheme=color_scheme, viewport={"width": 820, "height": 720})
        contexts.append(context)
        page = context.new_page()
        if clock:  # fake timers (they run until paused): lets a test prove nothing is scheduled
            page.clock.install()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        if route is not None:
            page.route_web_socket("**/chat/socket", route)
        query = "&".join(f"{k.replace('_', '-')}={v}" for k, v in attributes.items())
        page.goto(f"{static_server}/__test__/{path}" + (f"?{query}" if query else ""))
        page.wait_for_function("() => window.__ready === true")
        bot = ChatBot(page)
        expect(bot.log).to_be_visible()  # the stylesheet loaded: the frame is revealed
        return bot

    yield open_
    for context in contexts:
        for page in context.pages:
            violations = page.evaluate("window.__violations")
            problems.extend(f"CSP violation: {v}" for v in violations)
        context.close()
    assert problems == []


# -- helpers ------------------------------------------------------------------------


# A fence line shows no info string, even before its newline (an empty code block opens).
FENCE_LINE = re.compile(r"^(`{3,}|~{3,})[^\n]*(?:\n|\Z)", re.M)
MARKERS_ONLY = re.compile(r"^[ \t]*[-=*+#>|\d.)]+[ \t]*$")


def visible_words(content: str) -> list[str]:
    """The words the rendered Markdown ``content`` shows: a complete fence line shows
    no info string; a last line of bare list or heading markers waits for its word."""
    text = FENCE_LINE.sub("", content)
    lines = text.split("\n")
    if lines and MARKERS_ONLY.match(lines[-1]):
        lines.pop()
    return re.findall(r"\w+", "\n".join(lines))


def streaming(message_id: str, content: str = "", html_: str = "") -> dict[str, Any]:
    return {
        "type": "message",
        "message": {"id": message_id, "role": "assistant", "content": content, "html": html_, "status": "streaming"},
    }


def echo(message_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "message": {
            "id": message_id,
            "role": "user",
            "content": text,
            "html": f"<p>{html.escape(text)}</p>",
            "status": "done",
        },
    }


IDLE = {"type": "idle"}


# -- the canonical streams ----------------------------------------------------------


@pytest.mark.parametrize("name", ["markdown", "rewrite"])
def test_fixture_stream_renders_patch_by_patch(open_page, fixture_frames, name):
    streams = {s["name"]: s for s in fixture_frames["streams"]}
    assert name in streams, f"tests/fixtures/frames.json has no stream {name!r}"
    stream = streams[name]
    bot = open_page()
    message_id = stream["frames"][0]["message"]["id"]
    # One snapshot per frame: what the message shows and what `messages` says.
    snapshots = bot.page.evaluate(
        """([frames, id]) => {
          const bot = document.querySelector('chat-bot')
          return frames.map(frame => {
            bot.applyFrame(frame)
            const content = bot.shadowRoot.querySelector(`[data-id="${id}"] [part~=content]`)
            const message = bot.messages.find(m => m.id === id)
            // Text outside any element: tail_text that missed the open block's insertion point.
            const loose = [...content.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.data).join('')
            // A code block's header (language, copy button) is chrome, not the message's words.
            const words = content.cloneNode(true)
            for (const header of words.querySelectorAll('.code-header')) header.remove()
            // The server's HTML, without the copy buttons the element adds to code blocks.
            const shown = content.cloneNode(true)
            for (const button of shown.querySelectorAll('.copy-code')) button.remove()
            return {text: words.textContent, html: shown.innerHTML, loose: loose.trim(), message}
          })
        }""",
        [stream["frames"], message_id],
    )
    content = ""
    for frame, snapshot in zip(stream["frames"], snapshots, strict=False):
        if frame["type"] == "patch":
            content = content[: frame["keep"]] + frame["append"]
            assert snapshot["message"]["content"] == content
            assert snapshot["message"]["status"] == "streaming"
            assert re.findall(r"\w+", snapshot["text"]) == visible_words(content), frame
            assert snapshot["loose"] == "", frame
    final = snapshots[-1]
    assert final["message"] == {
        "id": message_id,
        "role": "assistant",
        "content": stream["final_content"],
        "html": stream["final_html"],
        "status": "done",
    }
    # The DOM holds exactly the final HTML (compared after the browser's own round trip).
    reparsed = bot.page.evaluate(
        "h => { const t = document.createElement('template'); t.innerHTML = h; return t.innerHTML }",
        stream["final_html"],
    )
    assert final["html"] == reparsed
    assert bot.events("message")[-1]["message"]["content"] == stream["final_content"]


def test_fixture_server_frames_are_all_understood(open_page, fixture_frames):
    bot = open_page()
    bot.apply(streaming("a7", "Hello ", "<p>Hello </p>"))
    *frames, conversation = fixture_frames["server_valid"]
    assert conversation["type"] == "conversation"
    bot.apply(*frames)
    expect(bot.content("u2")).to_have_text("What is Flask?")
    expect(bot.content("a7")).to_have_text("Hello world")
    expect(bot.message("a7")).to_have_attribute("data-status", "done")
    expect(bot.errors).to_have_count(3)
    # The turn's status and fn's toast (status-view.js, loaded on first use).
    expect(bot.page.locator("chat-bot [part~=progress]")).to_contain_text("Reading · 40% · 4 of 10 pages")
    expect(bot.page.locator("chat-bot [part~=toast-warning]")).to_contain_text("Heads upOne file was empty")
    # The error naming a7 sits right under it; the other one at the end.
    assert (
        bot.page.evaluate(
            "document.querySelector('chat-bot').shadowRoot.querySelector('[data-id=a7]').nextElementSibling.textContent"
        )
        == "The model is overloaded."
    )
    # A listener's new conversation takes the place of all of it, alerts included.
    bot.apply(conversation)
    expect(bot.content("c1")).to_have_text("Hi")
    expect(bot.content("c2")).to_have_text("Hello")
    expect(bot.message("u2")).to_have_count(0)
    expect(bot.errors).to_have_count(0)
    assert [(m["id"], m.get("feedback")) for m in bot.page.evaluate("document.querySelector('chat-bot').messages")] == [
        ("c1", None),
        ("c2", "Like"),
    ]


def test_tail_text_lands_at_the_insertion_point(open_page):
    bot = open_page()
    bot.apply(streaming("a1"))
    # Inside <code> of an open <pre>, past the white space the renderer leaves.
    bot.apply(
        {
            "type": "patch",
            "id": "a1",
            "keep": 0,
            "append": "```py\n",
            "tail": '<pre><code class="language-py"></code></pre>\n',
        }
    )
    bot.apply({"type": "patch", "id": "a1", "keep": 6, "append": "x = 1\n", "tail_text": "x = 1\n"})
    bot.apply({"type": "patch", "id": "a1", "keep": 12, "append": "y", "tail_text": "y"})
    code = bot.content("a1").locator("pre > code")
    expect(code).to_have_text("x = 1\ny")
    assert bot.content("a1").evaluate("c => c.querySelector('pre').childNodes.length") == 1
    # Into the last <li> of a list, not after it; the frozen block before stays put.
    bot.apply(
        {
            "type": "patch",
            "id": "a1",
            "keep": 13,
            "append": "\n```\n\n- a\n- b",
            "blocks_from": 0,
            "blocks": ['<pre><code class="language-py">x = 1\ny\n</code></pre>'],
            "tail": "<ul>\n<li>a</li>\n<li>b</li>\n</ul>",
        }
    )
    bot.apply({"type": "patch", "id": "a1", "keep": 26, "append": " c", "tail_text": " c"})
    expect(bot.content("a1").locator("li").last).to_have_text("b c")
    # Into a table cell.
    bot.apply(
        {
            "type": "patch",
            "id": "a1",
            "keep": 28,
            "append": "\n\n| h |\n|---|\n| 1",
            "blocks_from": 1,
            "blocks": ["<ul>\n<li>a</li>\n<li>b c</li>\n</ul>"],
            "tail": "<table>\n<thead>\n<tr>\n<th>h</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>",
        }
    )
    bot.apply({"type": "patch", "id": "a1", "keep": 47, "append": "23", "tail_text": "23"})
    expect(bot.content("a1").locator("td")).to_have_text("123")
    # Not into an element outside the list (a <div>): after it, at the tail container.
    bot.apply(
        {"type": "patch", "id": "a1", "keep": 49, "append": "", "blocks_from": 2, "blocks": [], "tail": "<div>d</div>"}
    )
    bot.apply({"type": "patch", "id": "a1", "keep": 49, "append": "e", "tail_text": "e"})
    assert bot.content("a1").evaluate(
        "c => [c.lastChild.nodeType, c.lastChild.data, c.querySelector('div').textContent]"
    ) == [3, "e", "d"]
    # A new tail replaces the text appended at the top level, and only the tail.
    bot.apply({"type": "patch", "id": "a1", "keep": 49, "append": "f", "tail": "<p>f</p>"})
    assert bot.content("a1").evaluate("c => c.innerHTML") == (
        '<pre><code class="language-py">x = 1\ny\n</code></pre><ul>\n<li>a</li>\n<li>b c</li>\n</ul><p>f</p>'
    )
    # tail_text is text, never markup.
    bot.apply({"type": "patch", "id": "a1", "keep": 50, "append": "<b>x</b>", "tail_text": "<b>x</b>"})
    expect(bot.content("a1").locator("p")).to_have_text("f<b>x</b>")
    expect(bot.content("a1").locator("b")).to_have_count(0)


def test_streaming_message_html_is_the_open_block(open_page):
    bot = open_page()
    bot.apply(streaming("a1", "Hi", "<p>Hi</p>"))
    bot.apply({"type": "patch", "id": "a1", "keep": 2, "append": " there", "tail_text": " there"})
    expect(bot.content("a1")).to_have_text("Hi there")
    bot.apply({"type": "patch", "id": "a1", "keep": 8, "append": "!", "tail": "<p>Hi there!</p>"})
    assert bot.content("a1").evaluate("c => c.innerHTML") == "<p>Hi there!</p>"


def test_patches_touch_only_what_changed(open_page):
    bot = open_page()
    bot.set_messages([{"id": "u1", "role": "user", "content": "Write a lot"}])
    bot.apply(streaming("a1"))
    bot.apply(
        {
            "type": "patch",
            "id": "a1",
            "keep": 0,
            "append": "First.\n\nSecond",
            "blocks_from": 0,
            "blocks": ["<p>First.</p>"],
            "tail": "<p>Second</p>",
        }
    )
    # Count DOM mutations per patch: a word appended is one text node, whatever came before.
    counts = bot.page.evaluate(
        """() => {
          const bot = document.querySelector('chat-bot')
          const root = bot.shadowRoot
          const user = root.querySelector('[data-id=u1]')
          const first = root.querySelector('[data-id=a1] [part~=content]').firstChild
          const observer = new MutationObserver(() => {})
          observer.observe(root.querySelector('[part~=log]'), {childList: true, subtree: true, characterData: true, attributes: true})
          const counts = []
          let keep = 14
          for (let i = 0; i < 200; i++) {
            bot.applyFrame({type: 'patch', id: 'a1', keep, append: ' word', tail_text: ' word'})
            keep += 5
            counts.push(observer.takeRecords().length)
          }
          observer.disconnect()
          return {counts, sameUser: root.querySelector('[data-id=u1]') === user,
                  sameBlock: root.querySelector('[data-id=a1] [part~=content]').firstChild === first}
        }"""
    )
    assert set(counts["counts"]) == {1}
    assert counts["sameUser"] and counts["sameBlock"]
    expect(bot.content("a1").locator("p").last).to_have_text("Second" + " word" * 200)


# -- what the user sees and does ----------------------------------------------------


def test_button_options(open_page):
    bot = open_page()
    bot.page.evaluate(
        "document.querySelector('chat-bot').config = {submit_btn: 'Ask', stop_btn: false, textbox_placeholder: 'Your question'}"
    )
    expect(bot.send_button).to_have_text("Ask")
    expect(bot.input).to_have_attribute("placeholder", "Your question")
    bot.input.fill("q")
    bot.input.press("Enter")
    bot.wait_for_events("submit", 1)
    expect(bot.stop_button).to_be_hidden()
    expect(bot.send_button).to_be_disabled()
    bot.apply(IDLE)
    expect(bot.send_button).to_be_enabled()
    bot.page.evaluate("document.querySelector('chat-bot').config = {submit_btn: false}")
    expect(bot.send_button).to_be_hidden()
    bot.input.fill("enter still sends")
    bot.input.press("Enter")
    assert bot.wait_for_events("submit", 2)[1]["text"] == "enter still sends"


def test_placeholder_shows_only_while_empty(open_page):
    bot = open_page()
    expect(bot.placeholder).to_be_visible()
    expect(bot.placeholder).to_contain_text("No messages yet")
    bot.page.evaluate("document.querySelector('chat-bot').config = {placeholder: '<p>Ask <strong>me</strong></p>'}")
    expect(bot.placeholder.locator("strong")).to_have_text("me")
    bot.set_messages([{"id": "u1", "role": "user", "content": "Hi"}])
    expect(bot.placeholder).to_be_hidden()
    bot.page.evaluate("document.querySelector('chat-bot').clear()")
    expect(bot.placeholder).to_be_visible()
    assert bot.messages() == []


def test_enter_sends_and_shift_enter_adds_a_line(open_page):
    bot = open_page()
    bot.input.click()
    bot.input.press_sequentially("hello")
    bot.input.press("Shift+Enter")
    bot.input.press_sequentially("world")
    expect(bot.input).to_have_value("hello\nworld")
    bot.input.press("Enter")
    [submit] = bot.wait_for_events("submit", 1)
    assert submit["text"] == "hello\nworld"
    assert re.fullmatch(r"[0-9a-f]{16}", submit["id"])
    expect(bot.input).to_have_value("")
    user = bot.message(submit["id"])
    expect(user).to_have_attribute("part", "message user")
    expect(user.locator("[part~=content]")).to_have_text("hello\nworld")
    # Generating: pending dots, stop instead of send, Enter does not send.
    expect(bot.pending).to_be_visible()
    expect(bot.pending).to_have_attribute("aria-label", "Generating")
    expect(bot.stop_button).to_be_visible()
    expect(bot.send_button).to_be_hidden()
    bot.input.press_sequentially("again")
    bot.input.press("Enter")
    expect(bot.input).to_have_value("again")
    assert len(bot.events("submit")) == 1
    # The reply starts: the dots go; idle: send is back.
    bot.apply(echo(submit["id"], "hello\nworld"), streaming("a1"))
    expect(bot.pending).to_be_hidden()
    bot.apply({"type": "patch", "id": "a1", "keep": 0, "append": "Hi", "tail": "<p>Hi</p>"})
    bot.apply({"type": "done", "id": "a1", "content": "Hi", "html": "<p>Hi</p>", "status": "done"}, IDLE)
    expect(bot.send_button).to_be_visible()
    expect(bot.stop_button).to_be_hidden()
    # An Enter that ends an IME composition never sends.
    bot.input.evaluate(
        "t => t.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true, cancelable: true}))"
    )
    assert len(bot.events("submit")) == 1
    bot.input.press("Enter")
    submits = bot.wait_for_events("submit", 2)
    assert submits[1]["text"] == "again"
    assert [m["role"] for m in bot.messages()] == ["user", "assistant", "user"]


def test_stop_button_while_generating_and_idle_restores_send(open_page):
    bot = open_page()
    message_id = bot.page.evaluate("document.querySelector('chat-bot').send('Tell me a story')")
    assert re.fullmatch(r"[0-9a-f]{16}", message_id)
    bot.apply(echo(message_id, "Tell me a story"), streaming("a1"))
    bot.apply({"type": "patch", "id": "a1", "keep": 0, "append": "Once", "tail": "<p>Once</p>"})
    expect(bot.stop_button).to_be_visible()
    expect(bot.stop_button).to_have_attribute("aria-label", "Stop")
    bot.stop_button.click()
    [stop] = bot.wait_for_events("stop", 1)
    assert stop == {"id": "a1"}
    expect(bot.stop_button).to_be_disabled()
    bot.apply({"type": "done", "id": "a1", "content": "Once", "html": "<p>Once</p>", "status": "stopped"}, IDLE)
    expect(bot.message("a1")).to_have_attribute("data-status", "stopped")
    expect(bot.send_button).to_be_visible()
    expect(bot.send_button).to_have_attribute("aria-label", "Send")
    expect(bot.stop_button).to_be_hidden()
    assert bot.page.evaluate("document.querySelector('chat-bot').generating") is False


def test_error_frames_show_alerts_and_the_chat_carries_on(open_page):
    bot = open_page()
    # Refused before the echo: no reply and no idle will come, so the turn ends here, and the
    # text goes back in the box with the reason under it (not into the log).
    first = bot.page.evaluate("document.querySelector('chat-bot').send('x'.repeat(5))")
    bot.apply({"type": "error", "code": "too_large", "message": "the message has 5 characters; the limit is 4"})
    expect(bot.note).to_have_attribute("role", "alert")
    expect(bot.note).to_have_text("the message has 5 characters; the limit is 4")
    expect(bot.message(first)).to_have_count(0)
    expect(bot.input).to_have_value("xxxxx")
    expect(bot.errors).to_have_count(0)
    expect(bot.send_button).to_be_visible()
    bot.input.fill("")
    # fn failed mid-reply: the alert goes under that message, idle follows.
    second = bot.page.evaluate("document.querySelector('chat-bot').send('hi')")
    assert second
    bot.apply(
        echo(second, "hi"),
        streaming("a1"),
        {"type": "patch", "id": "a1", "keep": 0, "append": "Par", "tail": "<p>Par</p>"},
    )
    bot.apply({"type": "error", "code": "fn_error", "message": "The model is overloaded.", "id": "a1"})
    expect(bot.stop_button).to_be_visible()  # still generating until idle
    bot.apply({"type": "done", "id": "a1", "content": "Par", "html": "<p>Par</p>", "status": "error"}, IDLE)
    assert bot.message("a1").evaluate("m => m.nextElementSibling.textContent") == "The model is overloaded."
    errors = bot.events("error")
    assert errors == [
        {"code": "too_large", "message": "the message has 5 characters; the limit is 4", "id": None},
        {"code": "fn_error", "message": "The model is overloaded.", "id": "a1"},
    ]
    bot.input.fill("still here")
    bot.input.press("Enter")
    assert bot.wait_for_events("submit", 3)[2]["text"] == "still here"


def test_messages_property_round_trips_and_text_stays_text(open_page):
    bot = open_page()
    bot.set_messages(
        [
            {"id": "u1", "role": "user", "content": "<img src=x onerror=alert(1)> *not markdown*"},
            {"id": "a1", "role": "assistant", "content": "**Bold**", "html": "<p><strong>Bold</strong></p>"},
        ]
    )
    expect(bot.content("u1")).to_have_text("<img src=x onerror=alert(1)> *not markdown*")
    expect(bot.content("u1").locator("img")).to_have_count(0)
    expect(bot.content("a1").locator("strong")).to_have_text("Bold")
    assert bot.messages() == [
        {
            "id": "u1",
            "role": "user",
            "content": "<img src=x onerror=alert(1)> *not markdown*",
            "html": None,
            "status": "done",
        },
        {
            "id": "a1",
            "role": "assistant",
            "content": "**Bold**",
            "html": "<p><strong>Bold</strong></p>",
            "status": "done",
        },
    ]
    # Copies: changing what the getter returned changes nothing.
    bot.page.evaluate("document.querySelector('chat-bot').messages[0].content = 'changed'")
    assert bot.messages()[0]["content"].startswith("<img")
    expect(bot.log).to_have_attribute("aria-label", "Conversation")
    expect(bot.input).to_have_attribute("aria-label", "Message")


def test_autoscroll_follows_until_the_reader_scrolls_up(open_page):
    bot = open_page()
    bot.set_messages(
        [{"id": f"m{i}", "role": "user" if i % 2 else "assistant", "content": f"Message {i}\n" * 3} for i in range(30)]
    )
    at_end = "() => { const l = document.querySelector('chat-bot').shadowRoot.querySelector('[part~=log]'); return l.scrollHeight - l.scrollTop - l.clientHeight < 30 }"
    bot.page.wait_for_function(at_end)
    expect(bot.scroll_button).to_be_hidden()
    # New content while at the end: followed.
    bot.apply(streaming("a1", "", ""))
    for i in range(20):
        bot.apply({"type": "patch", "id": "a1", "keep": i * 6, "append": "word\n\n", "blocks": ["<p>word</p>"]})
    bot.page.wait_for_function(at_end)
    # The reader scrolls up: no more following, a button to come back.
    bot.log.hover()
    bot.page.mouse.wheel(0, -600)
    expect(bot.scroll_button).to_be_visible()
    top = bot.log.evaluate("l => l.scrollTop")
    bot.apply({"type": "patch", "id": "a1", "keep": 120, "append": "more\n\n", "blocks": ["<p>more</p>"] * 5})
    bot.page.wait_for_function(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
    )
    assert bot.log.evaluate("l => l.scrollTop") == top
    bot.scroll_button.click()
    bot.page.wait_for_function(at_end)
    expect(bot.scroll_button).to_be_hidden()


def test_trusted_types_policy_is_used(open_page):
    bot = open_page("trusted-types.html")
    bot.apply(
        streaming("a1", "", ""),
        {"type": "patch", "id": "a1", "keep": 0, "append": "**x**", "tail": "<p><strong>x</strong></p>"},
    )
    bot.apply(
        {"type": "done", "id": "a1", "content": "**x**", "html": "<p><strong>x</strong></p>", "status": "done"}, IDLE
    )
    expect(bot.content("a1").locator("strong")).to_have_text("x")
    assert bot.page.evaluate("window.__policyCalls") >= 3


# -- with a socket ------------------------------------------------------------------


class FakeServer:
    """Answers the element's WebSocket like the blueprint would (route_web_socket)."""

    def __init__(self) -> None:
        self.sockets: list[WebSocketRoute] = []
        self.received: list[list[dict[str, Any]]] = []
        self.reply = True
        self.reject = False

    def __call__(self, ws: WebSocketRoute) -> None:
        frames: list[dict[str, Any]] = []
        self.sockets.append(ws)
        self.received.append(frames)
        ws.on_message(lambda message: self.handle(ws, frames, json.loads(message)))

    def handle(self, ws: WebSocketRoute, frames: list[dict[str, Any]], frame: dict[str, Any]) -> None:
        frames.append(frame)
        if frame["type"] == "hello":
            ws.send(json.dumps({"type": "welcome", "version": 1, "session": "s1"}))
        elif frame["type"] == "submit" and self.reject:
            limit = f"the message has {len(frame['text'])} characters; the limit is 4"
            ws.send(json.dumps({"type": "error", "code": "too_large", "message": limit}))
        elif frame["type"] == "submit" and self.reply:
            ws.send(json.dumps(echo(frame["id"], frame["text"])))
            ws.send(json.dumps(streaming("a1")))
            ws.send(
                json.dumps(
                    {
                        "type": "patch",
                        "id": "a1",
                        "keep": 0,
                        "append": "Echo: ",
                        "tail": "<p>Echo:</p>",
                        "tail_text": " ",
                    }
                )
            )
            ws.send(
                json.dumps(
                    {"type": "patch", "id": "a1", "keep": 6, "append": frame["text"], "tail_text": frame["text"]}
                )
            )
            text = "Echo: " + frame["text"]
            ws.send(
                json.dumps(
                    {
                        "type": "done",
                        "id": "a1",
                        "content": text,
                        "html": f"<p>{html.escape(text)}</p>",
                        "status": "done",
                    }
                )
            )
            ws.send(json.dumps(IDLE))
        elif frame["type"] == "submit":
            ws.send(json.dumps(echo(frame["id"], frame["text"])))
            ws.send(json.dumps(streaming("a2")))
            ws.send(json.dumps({"type": "patch", "id": "a2", "keep": 0, "append": "Partial", "tail": "<p>Partial</p>"}))

    def types(self, index: int) -> list[str]:
        return [f["type"] for f in self.received[index]]


def test_socket_hello_submit_reply(open_page):
    server = FakeServer()
    bot = open_page(src="/chat", route=server)
    expect(bot.placeholder.locator("strong")).to_have_text("anything")
    expect(bot.input).to_have_attribute("placeholder", "Type a message…")
    expect(bot.input).to_be_focused()  # config autofocus
    expect(bot.send_button).to_be_enabled()
    assert server.received[0][0] == {"type": "hello", "version": 1, "history": []}
    bot.input.fill("ping")
    bot.send_button.click()
    expect(bot.content("a1")).to_have_text("Echo: ping")
    expect(bot.send_button).to_be_visible()
    assert server.types(0) == ["hello", "submit"]
    submit = server.received[0][1]
    assert submit["text"] == "ping"
    assert [m["id"] for m in bot.messages()] == [submit["id"], "a1"]
    assert [e["state"] for e in bot.events("connection")][-1] == "online"
    expect(bot.host).to_have_attribute("data-connection", "online")


def test_socket_reconnects_with_history_and_marks_the_cut_reply(open_page):
    server = FakeServer()
    bot = open_page(src="/chat", route=server)
    expect(bot.send_button).to_be_enabled()
    bot.input.fill("first")
    bot.input.press("Enter")
    expect(bot.content("a1")).to_have_text("Echo: first")
    server.reply = False  # the next reply is cut off mid-stream
    bot.input.fill("second")
    bot.input.press("Enter")
    expect(bot.content("a2")).to_have_text("Partial")
    server.sockets[0].close(code=1011, reason="gone")
    expect(bot.status).to_have_text("Offline. Reconnecting…")
    expect(bot.message("a2")).to_have_attribute("data-status", "error")
    expect(bot.stop_button).to_be_hidden()
    expect(bot.status).to_have_text("")  # reconnected after the backoff (0.5 s ± 25 %)
    assert len(server.sockets) == 2
    hello = server.received[1][0]
    assert hello["type"] == "hello"
    assert [(m["role"], m["content"]) for m in hello["history"]] == [
        ("user", "first"),
        ("assistant", "Echo: first"),
        ("user", "second"),
        ("assistant", "Partial"),
    ]
    assert [m["content"] for m in bot.messages()] == ["first", "Echo: first", "second", "Partial"]
    server.reply = True
    bot.input.fill("third")
    bot.input.press("Enter")
    expect(bot.message("a1").locator("[part~=content]")).to_have_text("Echo: third")


def pause_clock(page: Page) -> None:
    page.clock.pause_at(page.evaluate("Date.now()") + 1)


def test_socket_idle_close_waits_for_the_user(open_page):
    server = FakeServer()
    bot = open_page(src="/chat", route=server, clock=True)
    expect(bot.send_button).to_be_enabled()
    bot.input.blur()
    pause_clock(bot.page)
    server.sockets[0].close(code=4000, reason="idle")
    bot.wait_for_events("connection", 3)  # connecting, online, offline
    assert bot.events("connection")[-1] == {"state": "offline", "idle": True}
    expect(bot.status).to_have_text("")  # nothing alarming: it was only idle
    expect(bot.send_button).to_be_enabled()  # sending reconnects first
    # No reconnect on its own: a minute of (fake) time fires every timer there is.
    bot.page.clock.run_for(60_000)
    assert len(server.sockets) == 1
    # The user types and sends: reconnect, hello, then the submit.
    bot.input.fill("back")
    bot.input.press("Enter")
    expect(bot.content("a1")).to_have_text("Echo: back")
    assert len(server.sockets) == 2
    assert server.types(1) == ["hello", "submit"]


def test_prevented_submit_is_shown_but_not_sent(open_page):
    server = FakeServer()
    bot = open_page(src="/chat", route=server, data_prevent_submit="")
    expect(bot.send_button).to_be_enabled()
    bot.input.fill("mine")
    bot.input.press("Enter")
    [submit] = bot.wait_for_events("submit", 1)
    expect(bot.content(submit["id"])).to_have_text("mine")
    expect(bot.stop_button).to_be_visible()
    bot.stop_button.click()
    bot.wait_for_events("stop", 1)
    bot.apply(IDLE)
    expect(bot.send_button).to_be_visible()
    assert server.types(0) == ["hello", "stop"]


def test_offline_disables_send_but_not_typing(open_page):
    server = FakeServer()
    bot = open_page(src="/chat", route=server, clock=True)
    expect(bot.send_button).to_be_enabled()
    pause_clock(bot.page)  # the reconnect timer will not fire
    server.sockets[0].close(code=1011)
    expect(bot.status).to_have_text("Offline. Reconnecting…")
    expect(bot.send_button).to_be_disabled()
    bot.input.fill("typed while offline")
    bot.input.press("Enter")
    expect(bot.input).to_have_value("typed while offline")
    assert bot.events("submit") == []
    # Back online after the backoff: send works again.
    bot.page.clock.run_for(1_000)
    expect(bot.status).to_have_text("")
    bot.send_button.click()
    expect(bot.content("a1")).to_have_text("Echo: typed while offline")


def test_rejected_message_is_not_resent_in_hello(open_page):
    server = FakeServer()
    bot = open_page(src="/chat", route=server)
    expect(bot.send_button).to_be_enabled()
    server.reject = True
    bot.input.fill("far too long")
    bot.input.press("Enter")
    expect(bot.note).to_have_text("the message has 12 characters; the limit is 4")
    expect(bot.input).to_have_value("far too long")  # never lost from the box
    expect(bot.send_button).to_be_enabled()
    server.sockets[0].close(code=1011)
    expect(bot.status).to_have_text("Offline. Reconnecting…")
    expect(bot.status).to_have_text("")
    assert server.received[1][0] == {"type": "hello", "version": 1, "history": []}


# -- thoughts nesting and removal (issue 6) ------------------------------------------------------


def thought_message(
    message_id: str, title: str, thought_id: str | None = None, parent: str | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"title": title}
    if thought_id:
        metadata["id"] = thought_id
    if parent:
        metadata["parent_id"] = parent
    return {
        "id": message_id,
        "role": "assistant",
        "content": title.lower(),
        "html": f"<p>{title.lower()}</p>",
        "status": "done",
        "metadata": metadata,
    }


def parent_title(bot: ChatBot, message_id: str) -> str | None:
    """The title of the thought a message sits in, or None when it is at the top of the log."""
    return bot.page.evaluate(
        """id => {
          const el = document.querySelector('chat-bot').shadowRoot.querySelector(`[data-id="${id}"]`)
          const parent = el.parentElement.closest('.message')
          return parent ? parent.querySelector('.thought-title').textContent : null
        }""",
        message_id,
    )


def test_a_thought_listed_before_its_parent_still_nests_inside_it(open_page):
    bot = open_page()
    bot.set_messages([thought_message("c", "Child", parent="p"), thought_message("p", "Parent", thought_id="p")])
    assert parent_title(bot, "c") == "Parent"


def test_remove_drops_a_message_and_its_nested_thoughts_stay_shown(open_page):
    bot = open_page()
    bot.apply(
        {"type": "message", "message": thought_message("p", "Parent", thought_id="p")},
        {"type": "message", "message": thought_message("c", "Child", parent="p")},
        {"type": "message", "message": thought_message("x", "Extra")},
    )
    assert parent_title(bot, "c") == "Parent"
    bot.apply({"type": "remove", "id": "x"})
    assert [m["id"] for m in bot.messages()] == ["p", "c"]
    expect(bot.host.locator('[data-id="x"]')).to_have_count(0)
    # A parent losing its title (no longer a thought) lets its children out, still shown.
    bot.apply({"type": "patch", "id": "p", "keep": 6, "append": "", "metadata": {"id": "p"}})
    assert parent_title(bot, "c") is None
    expect(bot.host.locator('[data-id="c"]')).to_be_visible()
    bot.apply({"type": "remove", "id": "p"})
    assert [m["id"] for m in bot.messages()] == ["c"]
