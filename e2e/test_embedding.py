"""<chat-bot> on a page of another origin (issue 9, item 1): allowed, it loads from the chat's
server and chats, files and all; refused, it says so and opens no socket."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from harness import ChatController, Gunicorn, drop_files, free_port
from playwright.sync_api import Page, expect

PNG = (Path(__file__).resolve().parent.parent / "sample_app" / "static" / "bot.png").read_bytes()


class HostSite:
    """Another site: plain HTML pages on their own origin, each embedding a chat of the chat's
    server (``pages``: file name -> the chat's URL)."""

    def __init__(self, folder: Path, pages: dict[str, str], port: int) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, chat_url in pages.items():
            (folder / name).write_text(
                "<!doctype html><html lang=en><head><meta charset=utf-8><title>A blog</title><link rel=icon href=data:,>"
                f'<script type="module" src="{chat_url}static/chat-bot.js"></script>'
                # The blog's own look for the chat: custom properties and parts.
                "<style>chat-bot { --chat-bot-link: rgb(200, 0, 100); --chat-bot-code-bg: rgb(10, 20, 30);"
                " --chat-bot-code-fg: rgb(240, 240, 200); --chat-bot-accent: rgb(0, 120, 90) }"
                " chat-bot::part(content) { font-family: Georgia, serif }</style></head>"
                "<body><h1>My blog</h1><p>Ask the bot below.</p>"
                f'<chat-bot src="{chat_url}" style="height: 420px"></chat-bot></body></html>',
                encoding="utf-8",
            )
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None  # type: ignore[assignment]
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, HostSite, HostSite]]:
    """The sample app allowing one site (CHATBOT_ALLOWED_ORIGINS) and not another."""
    allowed_port, other_port = free_port(), free_port()
    server = Gunicorn(
        CHATBOT_ALLOWED_ORIGINS=f"http://127.0.0.1:{allowed_port}",
        CHATBOT_WORKERS="1",
        CHATBOT_UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")),
    )
    server.start()
    pages = {"index.html": f"{server.url}/files-demo/", "demo.html": f"{server.url}/chat/"}
    allowed = HostSite(tmp_path_factory.mktemp("allowed"), pages, allowed_port)
    other = HostSite(tmp_path_factory.mktemp("other"), pages, other_port)
    yield server, allowed, other
    allowed.stop()
    other.stop()
    server.stop()


def test_an_allowed_site_embeds_the_chat_which_chats_and_takes_files(page: Page, sites) -> None:
    server, allowed, _ = sites
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    chat = ChatController(page)
    chat.open(f"{allowed.origin}/")  # the element's files come from the chat's server (CORS)
    assert sockets == [f"{server.url.replace('http', 'ws')}/files-demo/socket"]
    drop_files(chat, [("cat.png", "image/png", PNG)])
    expect(chat.uploaded).to_have_count(1, timeout=10_000)  # a CORS upload
    chat.send("from my blog")
    expect(chat.assistant_messages.first).to_contain_text("You sent 1 file", timeout=10_000)
    # The files' URLs name the chat's server, not the blog's: the images load.
    for image in (chat.user_messages.first.locator("img"), chat.assistant_messages.last.locator("img")):
        expect(image).to_have_attribute(
            "src", f"{server.url}/files-demo/files/" + image.get_attribute("src").rsplit("/", 1)[-1]
        )
        expect(image).to_have_js_property("naturalWidth", 64)


def test_the_site_restyles_message_bodies_links_and_code_blocks(page: Page, sites) -> None:
    server, allowed, _ = sites
    chat = ChatController(page)
    chat.open(f"{allowed.origin}/demo.html")  # the demo bot: its replies hold links and code
    chat.send("Write some Python")
    chat.expect_idle()
    reply = chat.latest_assistant().locator("[part~=content]")
    assert "Georgia" in reply.evaluate("c => getComputedStyle(c).fontFamily")
    assert reply.locator("a").first.evaluate("a => getComputedStyle(a).color") == "rgb(200, 0, 100)"
    code = reply.locator(".code-block").first  # a highlighted block: its frame, then its text
    assert code.evaluate("p => getComputedStyle(p).backgroundColor") == "rgb(10, 20, 30)"
    assert code.locator("pre").evaluate("p => getComputedStyle(p).color") == "rgb(240, 240, 200)"
    assert chat.send_button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(0, 120, 90)"


def test_a_site_that_is_not_allowed_is_told_so_and_opens_no_socket(page: Page, sites) -> None:
    server, _, other = sites
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{other.origin}/")
    element = page.locator("chat-bot")
    expect(element).to_have_attribute("data-connection", "refused", timeout=10_000)
    expect(element.locator("[part~=status]")).to_have_text("This chat is not available on this site.")
    expect(element.locator("[part~=send-button]")).to_be_disabled()
    assert sockets == []  # no endless reconnecting


def test_in_a_page_that_gives_it_no_height_the_message_box_stays_in_sight(page: Page, sample_app: Gunicorn) -> None:
    page.set_viewport_size({"width": 800, "height": 700})
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/embed")  # <chat-bot> after a heading, with no height of its own
    for question in ("What can you show?", "Write some Python", "Explain WSGI in a table"):
        chat.send(question)
        chat.expect_idle()
    expect(chat.latest_assistant()).to_have_attribute("data-status", "done")
    box = chat.input.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 700  # not pushed below the fold
    log = chat.element.locator("[part~=log]")
    assert log.evaluate("log => log.scrollHeight > log.clientHeight")  # the conversation scrolls inside


def test_every_part_on_screen_is_declared_for_pages(page: Page, sample_app: Gunicorn) -> None:
    """What a page may style with ::part() is what custom-elements.json declares."""
    manifest = json.loads(
        (Path(__file__).resolve().parent.parent / "webcomponent" / "custom-elements.json").read_text()
    )
    declared = {part["name"] for part in manifest["modules"][0]["declarations"][0]["cssParts"]}
    chat = ChatController(page)
    chat.open(f"{sample_app.url}/sink/")  # the kitchen sink: thoughts, options, media, code, flags
    for topic in ("thoughts", "options", "media", "code"):
        chat.send(topic)
        chat.expect_idle()
    chat.element.locator("[part~=flag]").last.click()  # the flag menu's options
    shown = set(
        chat.element.evaluate(
            "e => [...e.shadowRoot.querySelectorAll('[part]')].flatMap(n => n.getAttribute('part').split(' '))"
        )
    )
    assert len(shown) > 25 and shown <= declared, shown - declared
