"""A chat whose connection goes and comes back, in Chromium against real gunicorn: a message
sent while the socket connects waits for it, a turn cut off (the network, a worker restart) or
failed (fn raised) says why and offers Retry, and the element is back within about a second of
its server.

The module is also the app these tests serve (``create_app``). fn records every call in
``RECOVERY_DIR`` (shared by the workers), so that a retry, which runs fn again, answers
differently: "long ..." streams slowly on its first try, "fail ..." raises on its first try.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from flask import Flask
from harness import REFUSED_SOCKET, ChatController, Gunicorn
from playwright.sync_api import Locator, Page, Route, expect

from flask_chatbot import chat_bp

CUT_WORDS = 400  # a first try of "long ..." streams this many words, 20 a second: it is cut off first
# Chromium's console while the network is off: the reconnect attempts that fail.
NO_NETWORK = r"^WebSocket connection to '[^']*' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED$"
SENDING = "Sending once connected…"


def tries(message: str) -> int:
    """Record a call of fn for ``message`` (in any worker) and return which try it is."""
    calls = Path(os.environ["RECOVERY_DIR"]) / "calls"
    with calls.open("a") as log:
        log.write(message + "\n")
    return calls.read_text().splitlines().count(message)


def fn(message: str, history: list[dict]) -> Iterator[str]:
    attempt = tries(message)
    if message.startswith("fail") and attempt == 1:
        raise RuntimeError("the first try fails")
    if message.startswith("long") and attempt == 1:
        text = "Here"
        for i in range(CUT_WORDS):
            text += f" w{i}"
            yield text
            time.sleep(0.05)  # the app's pace (20 words a second), not the test's
    yield f"Answered {message} on try {attempt}."


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(fn, title="Recovery"), url_prefix="/chat")
    return app


class Server(Gunicorn):
    """Gunicorn that may be stopped and started again: each run's log pipe is closed once
    drained (harness.Gunicorn leaves it open, and a second start() drops it unclosed)."""

    @staticmethod
    def _drain(stream: IO[bytes]) -> None:
        with stream:
            for _ in stream:
                pass


def serve(tmp_path: Path, workers: int = 1) -> Gunicorn:
    return Server("test_connection_recovery:create_app()", CHATBOT_WORKERS=str(workers), RECOVERY_DIR=str(tmp_path))


def calls(server: Gunicorn) -> list[str]:
    return (Path(server.env["RECOVERY_DIR"]) / "calls").read_text().splitlines()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Gunicorn]:
    gunicorn = serve(tmp_path)
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


def count_sockets(page: Page) -> None:
    """Count the WebSockets the page opens (window.__sockets), to wait for reconnect attempts."""
    page.add_init_script(
        """window.__sockets = 0
        window.WebSocket = class extends WebSocket {
          constructor(...args) { super(...args); window.__sockets++ }
        }"""
    )


def retry_of(message: Locator) -> Locator:
    return message.locator("[part~=retry]")


def test_enter_while_the_socket_connects_holds_the_message_until_it_is_online(page: Page, server: Gunicorn) -> None:
    # A slow network: config.json, which the socket's address comes from, takes its time.
    held: list[Route] = []
    page.route("**/chat/config.json", lambda route: held.append(route))
    page.goto(f"{server.url}/chat/")
    chat = ChatController(page)
    note = chat.element.locator("[part~=input-note]")
    expect(chat.element).to_have_attribute("data-connection", "connecting")
    chat.send("early")
    expect(note).to_have_text(SENDING)  # not silence: it says what will happen
    expect(chat.input).to_have_value("early")  # waiting in the box, as for an upload
    chat.input.press("Enter")  # pressed again: still one message
    expect(chat.messages).to_have_count(0)
    held[0].continue_()
    expect(chat.latest_assistant()).to_contain_text("Answered early on try 1.")
    expect(note).to_be_hidden()
    expect(chat.input).to_have_value("")
    expect(chat.user_messages).to_have_count(1)
    expect(chat.user_messages).to_have_text("early")
    chat.expect_idle()
    assert calls(server) == ["early"]  # sent once


def test_a_reply_cut_off_by_the_network_says_so_and_retry_runs_fn_again_once_online(page: Page, server: Gunicorn) -> None:
    page.allow_problems(NO_NETWORK)  # type: ignore[attr-defined]
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.send("long walk")
    reply = chat.latest_assistant()
    expect(reply).to_contain_text("w3")
    page.context.set_offline(True)  # the train enters a tunnel
    alert = chat.element.locator("[part~=error]")
    expect(alert).to_have_text("The connection was interrupted.")
    expect(alert).to_have_attribute("data-code", "interrupted")
    expect(reply).to_have_attribute("data-status", "error")
    expect(chat.status).to_have_text("Offline. Reconnecting…")
    retry = retry_of(reply)
    expect(retry).to_be_visible()
    retry.click()  # while offline: it runs once the chat is back
    expect(reply).to_contain_text("w3")  # nothing happened yet
    page.context.set_offline(False)
    expect(chat.latest_assistant()).to_contain_text("Answered long walk on try 2.")
    expect(chat.assistant_messages).to_have_count(1)  # the cut-off reply was replaced
    expect(alert).to_have_count(0)  # and what was said about it went with it
    expect(chat.status).to_be_hidden()
    assert calls(server) == ["long walk", "long walk"]


def test_a_reply_cut_off_by_a_worker_restart_says_the_server_restarted(page: Page, tmp_path: Path) -> None:
    page.allow_problems(REFUSED_SOCKET)  # type: ignore[attr-defined]
    server = serve(tmp_path, workers=2)
    server.start()
    try:
        assert server.process is not None
        chat = ChatController(page)
        chat.open(f"{server.url}/chat/")
        chat.send("long story")
        reply = chat.latest_assistant()
        expect(reply).to_contain_text("w3")
        os.kill(server.process.pid, signal.SIGHUP)  # a deploy: new workers, the old ones stop
        expect(chat.element.locator("[part~=error][data-code=restarted]")).to_have_text("The server restarted.")
        expect(reply).to_have_attribute("data-status", "error")  # not "stopped": nobody pressed Stop
        expect(chat.element).to_have_attribute("data-connection", "online")
        retry_of(reply).click()
        expect(chat.latest_assistant()).to_contain_text("Answered long story on try 2.")
        expect(chat.assistant_messages).to_have_count(1)
    finally:
        server.stop()


def test_a_turn_whose_fn_failed_offers_retry_and_undo(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.send("fail once")
    expect(chat.element.locator("[part~=error]")).to_be_visible()
    chat.expect_idle()
    expect(chat.assistant_messages).to_have_count(0)  # fn raised before it said anything
    question = chat.user_messages.last
    expect(question.locator("[part~=undo]")).to_be_visible()  # under the question: there is no reply
    retry_of(question).click()
    expect(chat.latest_assistant()).to_contain_text("Answered fail once on try 2.")
    expect(chat.element.locator("[part~=error]")).to_have_count(0)
    expect(retry_of(chat.latest_assistant())).to_be_visible()


def test_back_within_a_second_of_the_server_after_a_long_outage(page: Page, tmp_path: Path) -> None:
    page.allow_problems(REFUSED_SOCKET)  # type: ignore[attr-defined]
    count_sockets(page)
    server = serve(tmp_path)
    server.start()
    try:
        chat = ChatController(page)
        chat.open(f"{server.url}/chat/")
        server.stop()
        expect(chat.status).to_have_text("Offline. Reconnecting…")
        # Five tries failed (4.5 s now; 15.5 s with a backoff doubling to 10 s, which would then
        # wait 10 s more before the next one).
        page.wait_for_function("() => window.__sockets >= 6", timeout=20_000)
        server.start()
        back = time.monotonic()
        expect(chat.element).to_have_attribute("data-connection", "online", timeout=5_000)
        assert time.monotonic() - back < 1.5
        chat.send("back")
        expect(chat.latest_assistant()).to_contain_text("Answered back on try 1.")
    finally:
        server.stop()


def test_the_network_or_the_reader_coming_back_reconnects_at_once(page: Page, server: Gunicorn) -> None:
    page.allow_problems(REFUSED_SOCKET)  # type: ignore[attr-defined]
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    page.clock.pause_at(page.evaluate("Date.now()") + 1)  # no backoff timer fires from now on
    page.context.set_offline(True)
    expect(chat.element).to_have_attribute("data-connection", "offline")
    page.context.set_offline(False)  # the browser's `online` event
    expect(chat.element).to_have_attribute("data-connection", "online")
    for comeback in ("window.dispatchEvent(new Event('focus'))", "document.dispatchEvent(new Event('visibilitychange'))"):
        server.stop()
        expect(chat.element).to_have_attribute("data-connection", "offline")
        server.start()
        page.evaluate(comeback)  # headless Chromium's pages never lose focus: the reader's return
        expect(chat.element).to_have_attribute("data-connection", "online")
    chat.send("still here")
    expect(chat.latest_assistant()).to_contain_text("Answered still here on try 1.")
