"""Trusted Types, enforced (docs/security.md): the standalone page's Content-Security-Policy ends
with ``require-trusted-types-for 'script'; trusted-types chat-bot``.

Chromium then refuses a string at every DOM sink that can run script (``innerHTML``,
``insertAdjacentHTML``, a script's ``src``, ``srcdoc``, ``on*`` attributes, ...), and the page may
create one policy, ``chat-bot``: the element's own (webcomponent/core/html.js), which only its
``parseHTML`` uses, for HTML the server sanitized. A DOM-XSS bug anywhere else then throws a
TypeError instead of running: it fails closed.

The tests use every feature of the element in Chromium under that policy and find no violation.
Two things would catch one: the page fixture fails a test on any console error (Chromium logs
each refused string: "This document requires 'TrustedHTML' assignment"), and each page records
its ``securitypolicyviolation`` events, which every test reads at its end.
"""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask, Response
from harness import ChatController, Gunicorn, drop_files
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from flask_chatbot import chat_bp
from flask_chatbot.options.chat_options import default_content_security_policy

ENFORCED = "require-trusted-types-for 'script'; trusted-types chat-bot"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5e6d9b60000000049454e44ae426082"
)

# Before any script of the page: every CSP violation the page reports, Trusted Types' included.
WATCH_VIOLATIONS = """
window.__violations = []
addEventListener('securitypolicyviolation', e => {
  window.__violations.push(`${e.violatedDirective}: ${e.sample}`)
}, true)
"""
# What Chromium logs when a string reaches a sink, or a policy may not be created.
REFUSED_HTML = r"^This document requires 'TrustedHTML' assignment"
REFUSED_SCRIPT = r"^This document requires 'TrustedScript(URL)?' assignment"
REFUSED_POLICY = r"^Creating a TrustedTypePolicy named '[\w-]+' violates"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """The sample app (its chats are standalone pages under the default policy), fast, with its
    files, flag log and saved chats in a folder of the test's own."""
    folder = tmp_path_factory.mktemp("trusted-types")
    server = Gunicorn(
        DEMO_DELAY="0",
        CHATBOT_WORKERS="1",
        CHATBOT_QUEUE_DEMO_STEP="0.05",
        CHATBOT_UPLOAD_DIR=str(folder / "files"),
        CHATBOT_FLAGGING_DIR=str(folder / "flags"),
        CHATBOT_HISTORY_DB=str(folder / "history.sqlite3"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chat(page: Page) -> Iterator[ChatController]:
    page.add_init_script(WATCH_VIOLATIONS)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    chat = ChatController(page)
    yield chat
    assert page.evaluate("window.__violations") == []


def open_enforced(chat: ChatController, url: str) -> None:
    """Open the chat page at ``url`` and check that its policy is the one that enforces Trusted Types."""
    with chat.page.expect_response(lambda r: r.url == url and r.request.resource_type == "document") as page:
        chat.open(url)
    assert page.value.headers["content-security-policy"].endswith(ENFORCED)


def say(chat: ChatController, text: str, reply: str | re.Pattern[str]) -> None:
    chat.send(text)
    expect(chat.latest_assistant()).to_contain_text(reply, timeout=15_000)
    chat.expect_idle()


def content(message):
    return message.locator(":scope > [part~=bubble] > [part~=content]")


# -- the policy ------------------------------------------------------------------------------


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def test_the_standalone_page_requires_trusted_types_and_names_the_element_s_policy(server: Gunicorn) -> None:
    # The sample app's /embed page uses the same policy (default_content_security_policy()).
    for path in ("/chat/", "/sink/", "/files-demo/", "/history-demo/", "/demos/artifacts/", "/embed"):
        with urllib.request.urlopen(f"{server.url}{path}", timeout=10) as response:
            csp = directives(response.headers["Content-Security-Policy"])
        assert csp["require-trusted-types-for"] == "'script'", path
        assert csp["trusted-types"] == "chat-bot", path  # one policy name, no 'allow-duplicates'
        assert csp["script-src"] == "'self'", path
    assert default_content_security_policy(["img.example.com"]).endswith(ENFORCED)


def test_a_string_at_a_dom_sink_throws_and_no_other_policy_can_be_made(chat: ChatController, server: Gunicorn) -> None:
    page = chat.page
    for pattern in (REFUSED_HTML, REFUSED_SCRIPT, REFUSED_POLICY):
        page.allow_problems(pattern)  # type: ignore[attr-defined]  # provoked below, on purpose
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_enforced(chat, f"{server.url}/chat/")
    expect(chat.element.locator("[part~=placeholder] strong")).to_have_text(
        "Ask me anything."
    )  # the element's policy at work
    outcomes = page.evaluate(
        """() => {
          const attempt = action => { try { action(); return 'ran' } catch (error) { return error.constructor.name } }
          const log = document.querySelector('chat-bot').shadowRoot.querySelector('[part~=log]')
          return {
            innerHTML: attempt(() => { document.createElement('div').innerHTML = '<img src=x onerror=alert(1)>' }),
            insertAdjacentHTML: attempt(() => log.insertAdjacentHTML('beforeend', '<img src=x onerror=alert(2)>')),
            handler: attempt(() => document.body.setAttribute('onclick', 'alert(3)')),
            scriptSrc: attempt(() => { document.createElement('script').src = 'data:text/javascript,alert(4)' }),
            srcdoc: attempt(() => { document.createElement('iframe').srcdoc = '<script>alert(5)<\\/script>' }),
            anotherPolicy: attempt(() => trustedTypes.createPolicy('mine', {createHTML: s => s})),
            aSecondChatBot: attempt(() => trustedTypes.createPolicy('chat-bot', {createHTML: s => s})),
          }
        }"""
    )
    assert outcomes == dict.fromkeys(outcomes, "TypeError") and len(outcomes) == 7, outcomes
    assert chat.element.locator("img[src=x]").count() == 0 and dialogs == []
    # What would fail any other test of this file: Chromium logged each refusal as an error...
    problems = page.problems  # type: ignore[attr-defined]
    assert len([p for p in problems if re.search(REFUSED_HTML, p)]) == 3, problems
    assert len([p for p in problems if re.search(REFUSED_POLICY, p)]) == 2, problems
    # ...and the page saw them as violations (cleared, as they were the test's own).
    seen = page.evaluate("window.__violations.splice(0)")
    assert len([v for v in seen if v.startswith("require-trusted-types-for")]) == 5, seen
    assert len([v for v in seen if v.startswith("trusted-types")]) == 2, seen
    # The chat goes on: its own HTML still goes through its policy.
    say(chat, "Still working?", "That is all")


# -- every feature, under the policy -----------------------------------------------------------


def test_markdown_code_tables_examples_copy_edit_retry_undo_and_a_reload(
    chat: ChatController, server: Gunicorn
) -> None:
    open_enforced(chat, f"{server.url}/chat/")
    expect(chat.element.locator("[part~=placeholder] strong")).to_have_text("Ask me anything.")
    chat.element.locator("[part~=example]", has_text="Explain WSGI in a table").click()
    reply = chat.latest_assistant()
    expect(reply).to_contain_text("That is all", timeout=15_000)
    chat.expect_idle()
    expect(reply.locator("table")).to_be_visible()
    expect(reply.locator(".code-block pre code span").first).to_be_visible()  # highlighted on the server
    # Markdown in the reader's own message too (rendered by the server, echoed).
    say(chat, "Some **bold** and `code`", "That is all")
    expect(chat.user_messages.last.locator("strong")).to_have_text("bold")

    # Copy: a message and a code block.
    reply = chat.latest_assistant()
    reply.hover()
    reply.locator("[part~=copy-message]").click()
    expect(reply.locator("[part~=copy-message]")).to_have_text("Copied")
    reply.locator("[part~=copy-code]").click()
    expect(reply.locator("[part~=copy-code]")).to_have_text("Copied")
    assert chat.page.evaluate("navigator.clipboard.readText()").startswith("def respond(message, history):")

    # Edit a question: a new version of the turn, and back to the first.
    first = chat.user_messages.first
    first.hover()
    first.locator("[part~=edit]").click()
    box = chat.element.locator("[part~=editor-input]")
    expect(box).to_be_focused()
    box.fill("A *better* question")
    box.press("Enter")
    expect(chat.user_messages.first.locator("em")).to_have_text("better")
    expect(chat.latest_assistant()).to_contain_text("That is all", timeout=15_000)
    chat.expect_idle()
    expect(chat.user_messages.first.locator("[part~=versions]")).to_contain_text("2 / 2")
    chat.user_messages.first.locator("[part~=version-prev]").click()
    expect(chat.user_messages.first.locator("[part~=versions]")).to_contain_text("1 / 2")
    expect(chat.user_messages).to_have_count(2)

    # Retry the last reply, then undo the last turn.
    before = chat.assistant_messages.count()
    chat.latest_assistant().locator("[part~=retry]").click()
    expect(chat.latest_assistant()).to_contain_text("That is all", timeout=15_000)
    chat.expect_idle()
    expect(chat.assistant_messages).to_have_count(before)
    chat.latest_assistant().locator("[part~=undo]").click()
    expect(chat.input).to_have_value("Some **bold** and `code`")
    expect(chat.user_messages).to_have_count(1)

    # A reload shows the conversation again from the tab's storage (its HTML parsed once more).
    chat.page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online")
    expect(chat.latest_assistant().locator("table")).to_be_visible()
    chat.element.locator("[part~=clear-button]").click()
    expect(chat.messages).to_have_count(0)


def test_thoughts_options_math_html_media_and_feedback(chat: ChatController, server: Gunicorn) -> None:
    open_enforced(chat, f"{server.url}/sink/")
    say(chat, "thoughts", "sunny")
    title = chat.element.locator(".message.thought [part~=thought-title]")
    expect(title.locator("em")).to_have_text("Thought")  # its Markdown title, parsed HTML
    expect(chat.element.locator(".message.thought [part~=thought-duration]")).to_be_visible()
    chat.element.locator(".message.thought [part~=thought-toggle]").first.click()

    say(chat, "nested", "Flask-Sock adds WebSocket routes")
    expect(chat.element.locator("[part~=thought-title]", has_text="Fetch page")).to_have_count(1)
    say(chat, "reasoning", "Four letters.")
    expect(chat.element.locator("[part~=thought-title]", has_text="Reasoning")).to_have_count(1)

    say(chat, "options", "Which one next?")
    chat.latest_assistant().locator("[part~=option]", has_text="Math").click()
    expect(chat.latest_assistant()).to_contain_text("quadratic formula", timeout=15_000)
    chat.expect_idle()
    expect(chat.latest_assistant().locator("math").first).to_be_visible()

    say(chat, "html", "Hidden until opened.")
    expect(chat.latest_assistant().locator("kbd").first).to_have_text("Ctrl")
    expect(chat.latest_assistant().locator("script")).to_have_count(0)
    say(chat, "table", "careful")
    expect(chat.latest_assistant().locator("table")).to_be_visible()
    say(chat, "code", "pip install")

    say(chat, "media", "Styled HTML, cleaned on the server.")
    image = chat.element.locator('img[alt^="The bot\'s avatar"]')
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    expect(chat.element.locator("audio")).to_have_count(1)
    expect(chat.element.locator("[part~=content] p[style]")).to_have_count(1)  # an HTML component's cleaned style

    # Feedback on a reply: a thumb, then a flag from the menu.
    reply = chat.assistant_messages.filter(has_text="pip install").last
    reply.hover()
    reply.locator("[part~=like]").click()
    expect(reply.locator("[part~=like]")).to_have_attribute("aria-pressed", "true")
    reply.locator("[part~=flag]").click()
    reply.locator("[part~=flag-option][data-value=Inaccurate]").click()
    expect(reply.locator("[part~=flag-option][data-value=Inaccurate]")).to_have_attribute("aria-pressed", "true")


def test_additional_outputs_and_inputs(chat: ChatController, server: Gunicorn) -> None:
    open_enforced(chat, f"{server.url}/demos/artifacts/")
    pane = chat.element.locator("[part~=outputs]")
    chat.element.locator("[part~=example]", has_text="Python").click()
    expect(pane.locator("code")).to_contain_text("def fib(n):", timeout=15_000)  # outputs.js parses it
    chat.expect_idle()

    open_enforced(chat, f"{server.url}/demos/system_prompt/")
    chat.element.locator("[part~=example]", has_text="Ahoy!").click()  # sets the inputs (inputs-panel.js)
    expect(chat.latest_assistant()).to_contain_text("You are a pirate.", timeout=15_000)
    chat.expect_idle()


def test_attachments_by_drop_and_by_button(chat: ChatController, server: Gunicorn, tmp_path) -> None:
    open_enforced(chat, f"{server.url}/files-demo/")
    drop_files(chat, [("dot.png", "image/png", PNG)])
    expect(chat.uploaded).to_have_count(1, timeout=10_000)
    expect(chat.element.locator("[part~=attachment] img")).to_have_count(1)  # a thumbnail from a blob: URL
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\n<img src=x onerror=alert(1)>\n", encoding="utf-8")
    with chat.page.expect_file_chooser() as chooser:
        chat.element.locator("[part~=attach-button]").click()
    chooser.value.set_files(str(notes))
    expect(chat.uploaded).to_have_count(2, timeout=10_000)
    say(chat, "What are these?", "notes.md starts with:")  # its reply is three messages
    expect(chat.assistant_messages.first).to_contain_text("You sent 2 files")
    expect(chat.assistant_messages.locator("img")).to_be_visible()  # the bot shows the image back
    expect(chat.element.locator("pre code", has_text="onerror")).to_have_count(1)  # the file's text, as text
    expect(chat.user_messages.first.locator("img")).to_be_visible()


def test_the_saved_chats_drawer(chat: ChatController, server: Gunicorn) -> None:
    chat.page.set_viewport_size({"width": 390, "height": 800})
    open_enforced(chat, f"{server.url}/history-demo/")
    panel = chat.element.locator("[part~=history-panel]")
    items = chat.element.locator("[part~=history-item]")
    toggle = chat.element.locator("[part~=history-button]")
    say(chat, "First *chat*", "That is all")
    toggle.click()
    expect(panel).to_be_visible()
    chat.element.locator("[part~=history-new]").click()
    expect(chat.messages).to_have_count(0)
    say(chat, "Second chat", "That is all")
    toggle.click()
    expect(items).to_have_text(["Second chat", "First *chat*"])  # titled by the text as typed
    items.filter(has_text="First").click()  # its messages shown again, HTML and all
    expect(chat.user_messages.first.locator("em")).to_have_text("chat")
    toggle.click()
    entry = chat.element.locator(".history-entry", has_text="First")
    entry.locator("[part~=history-rename]").click()
    title = chat.element.locator(".history-title")
    title.fill("Renamed")
    title.press("Enter")
    expect(items).to_have_text(["Second chat", "Renamed"])
    delete = chat.element.locator(".history-entry", has_text="Second chat").locator("[part~=history-delete]")
    delete.click()
    delete.click()
    expect(items).to_have_text(["Renamed"])


def test_the_queue_progress_and_toasts(chat: ChatController, server: Gunicorn) -> None:
    open_enforced(chat, f"{server.url}/queue-demo/")
    chat.send("No question")
    expect(chat.element.locator("[part~=toast-warning]")).to_contain_text("does not look like a question")
    expect(chat.latest_assistant()).to_contain_text("deserves a thoughtful reply", timeout=15_000)
    chat.expect_idle()


def test_another_language_and_right_to_left(chat: ChatController, server: Gunicorn) -> None:
    chat.page.set_extra_http_headers({"Accept-Language": "ar"})
    open_enforced(chat, f"{server.url}/chat/")
    expect(chat.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(chat.send_button).to_have_attribute("aria-label", "إرسال")
    say(chat, "مرحبا", "That is all")


# -- pages of their own: the element still fits them ----------------------------------------

PAGE = (
    '<!doctype html><html lang=en><head><meta charset=utf-8><title>A page of its own</title><link rel=icon href="data:,">'
    '<script type="module" src="/page.js"></script></head><body><chat-bot src="/chat"></chat-bot></body></html>'
)
# A page that enforces Trusted Types with a policy of its own name gives the element that policy.
OWN_POLICY = """
import {ChatBotElement} from '/chat/static/chat-bot.js'
ChatBotElement.setCSPTrustedTypesPolicy(trustedTypes.createPolicy('mine', {createHTML: html => html}))
"""
STRICT = default_content_security_policy().replace("trusted-types chat-bot", "trusted-types mine")
MORE = threading.Event()  # the trusting fn's second part waits for it


def trusting(message: str, history: list) -> Iterator[str]:
    """HTML as is (sanitize_html=False): a handler attribute comes in a later part of the reply."""
    yield '<p title="a">first words</p>'
    MORE.wait(30)
    MORE.clear()
    yield '<p title="b" onclick="alert(1)">first words and more</p>\n\nThe end.'


@pytest.fixture(scope="module")
def own_page_app() -> Iterator[str]:
    """The blueprint beside pages of the app's own: ``/own`` enforces Trusted Types with the
    page's policy ``mine``, ``/listed`` lists only ``mine`` without enforcing, ``/plain`` has
    no policy at all; and ``/trusting/``, a standalone page whose fn's HTML is not sanitized."""
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(lambda message, history: f"**{message}**", placeholder="**Ask**"), url_prefix="/chat"
    )
    app.register_blueprint(chat_bp(trusting, name="trusting", sanitize_html=False), url_prefix="/trusting")
    listed = default_content_security_policy().replace(ENFORCED, "trusted-types mine")
    pages = {"own": (STRICT, OWN_POLICY), "listed": (listed, ""), "plain": (None, "")}

    def page(name: str) -> Response:
        policy = pages[name][0]
        return Response(
            PAGE.replace("/page.js", f"/{name}.js"),
            mimetype="text/html",
            headers={"Content-Security-Policy": policy} if policy else {},
        )

    app.add_url_rule("/<any(own, listed, plain):name>", "page", page)
    app.add_url_rule(
        "/<any(own, listed, plain):name>.js",
        "module",
        lambda name: Response(pages[name][1] or "import '/chat/static/chat-bot.js'", mimetype="text/javascript"),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("name", ["own", "plain"])
def test_a_page_with_a_policy_of_its_own_or_none_shows_the_chat(
    chat: ChatController, own_page_app: str, name: str
) -> None:
    chat.open(f"{own_page_app}/{name}")
    expect(chat.element.locator("[part~=placeholder] strong")).to_have_text("Ask")
    say(chat, "Hello", "Hello")
    expect(content(chat.latest_assistant()).locator("strong")).to_have_text("Hello")


def test_a_page_that_lists_other_policies_only_still_shows_the_chat(chat: ChatController, own_page_app: str) -> None:
    # Its trusted-types refuses the element's 'chat-bot' (logged), and, enforcing nothing, takes strings.
    chat.page.allow_problems(r"^Creating a TrustedTypePolicy named 'chat-bot' violates")  # type: ignore[attr-defined]
    chat.open(f"{own_page_app}/listed")
    expect(chat.element.locator("[part~=placeholder] strong")).to_have_text("Ask")
    say(chat, "Hello", "Hello")
    assert chat.page.evaluate("window.__violations.splice(0)") == ["trusted-types: chat-bot"]


def test_unsanitized_html_whose_handler_comes_later_still_streams_and_never_runs(
    chat: ChatController, own_page_app: str
) -> None:
    # Bringing the shown paragraph up to date would set onclick with a string, which Trusted Types
    # refuse: the new paragraph takes its place instead (morph.js), and the page's script-src
    # never runs its handler. Both refusals are logged; they are the test's own.
    for pattern in (r"^Executing inline event handler violates", r"^This document requires 'TrustedScript' assignment"):
        chat.page.allow_problems(pattern)  # type: ignore[attr-defined]
    dialogs: list[str] = []
    chat.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_enforced(chat, f"{own_page_app}/trusting/")
    chat.send("go")
    expect(content(chat.latest_assistant())).to_have_text("first words")
    MORE.set()
    expect(content(chat.latest_assistant())).to_contain_text("The end.")
    chat.expect_idle()
    paragraph = content(chat.latest_assistant()).locator("p").first
    expect(paragraph).to_have_text("first words and more")
    expect(paragraph).to_have_attribute("title", "b")
    paragraph.click()
    assert dialogs == []
    seen = set(chat.page.evaluate("window.__violations.splice(0)"))
    assert "require-trusted-types-for: Element onclick|alert(1)" in seen, seen  # the path above was taken
    assert seen <= {"require-trusted-types-for: Element onclick|alert(1)", "script-src-attr: "}, seen
