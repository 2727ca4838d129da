"""A chat whose connection goes and comes back, in Chromium against real gunicorn: a message
sent while the socket connects waits for it, a turn cut off (the network, a worker restart) or
failed (fn raised) says why and offers Retry and Undo, and the element is back within about a
second of its server. What the reader does while offline waits for the socket, one thing at a
time, and only in the conversation it was done in.

The module is also the app these tests serve (``create_app``). fn records every call in
``RECOVERY_DIR`` (shared by the workers), so that a retry, which runs fn again, answers
differently: "long ..." streams slowly on its first try, "fail ..." raises on its first try,
"think ..." thinks slowly on its first try, "menu" offers preset replies. Each answer says how
many messages fn was given before it.
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

from flask_chatbot import ChatMessage, chat_bp

CUT_WORDS = 400  # a first try of "long ..." streams this many words, 20 a second: it is cut off first
# Chromium's console while the network is off: the reconnect attempts that fail.
NO_NETWORK = (
    r"^WebSocket connection to '[^']*' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED$"
)
SENDING = "Sending once connected…"


def tries(message: str) -> int:
    """Record a call of fn for ``message`` (in any worker) and return which try it is."""
    calls = Path(os.environ["RECOVERY_DIR"]) / "calls"
    with calls.open("a") as log:
        log.write(message + "\n")
    return calls.read_text().splitlines().count(message)


def fn(message: str, history: list[dict]) -> Iterator[str | ChatMessage]:
    attempt = tries(message)
    if message.startswith("fail") and attempt == 1:
        raise RuntimeError("the first try fails")
    if message == "menu":
        yield ChatMessage(content="Pick one.", options=[{"value": "table", "label": "Table"}])
        return
    if message.startswith("long") and attempt == 1:
        text = "Here"
        for i in range(CUT_WORDS):
            text += f" w{i}"
            yield text
            time.sleep(0.05)  # the app's pace (20 words a second), not the test's
    if message.startswith("think") and attempt == 1:
        thought = ChatMessage(content="", metadata={"title": "Thinking", "status": "pending"})
        for i in range(CUT_WORDS):
            thought.content += f" t{i}"
            yield thought
            time.sleep(0.05)
    yield f"Answered {message} on try {attempt}. History: {len(history)}."


def create_app() -> Flask:
    app = Flask(__name__)
    # Gradio's way, a reply that ends with its socket: what these tests are about is a turn cut
    # off. By default a reply outlives its socket and the reader follows it on (e2e/test_replies_survive.py).
    app.register_blueprint(chat_bp(fn, title="Recovery", on_disconnect="cancel"), url_prefix="/chat")
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


def test_a_reply_cut_off_by_the_network_says_so_and_retry_runs_fn_again_once_online(
    page: Page, server: Gunicorn
) -> None:
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
    for comeback in (
        "window.dispatchEvent(new Event('focus'))",
        "document.dispatchEvent(new Event('visibilitychange'))",
    ):
        server.stop()
        expect(chat.element).to_have_attribute("data-connection", "offline")
        server.start()
        page.evaluate(comeback)  # headless Chromium's pages never lose focus: the reader's return
        expect(chat.element).to_have_attribute("data-connection", "online")
    chat.send("still here")
    expect(chat.latest_assistant()).to_contain_text("Answered still here on try 1.")


def cut_off_offline(page: Page, chat: ChatController, message: str = "long walk") -> Locator:
    """Send ``message``, and take the network away while its reply streams; the reply, cut off."""
    page.allow_problems(NO_NETWORK)  # type: ignore[attr-defined]
    chat.send(message)
    reply = chat.latest_assistant()
    expect(reply).to_contain_text("w3")
    page.context.set_offline(True)
    expect(chat.element.locator("[part~=error][data-code=interrupted]")).to_be_visible()
    return reply


def back_online(page: Page, chat: ChatController) -> None:
    page.context.set_offline(False)
    expect(chat.element).to_have_attribute("data-connection", "online")


def test_changing_a_held_message_cancels_the_hold_and_an_emptied_box_sends_nothing(
    page: Page, server: Gunicorn
) -> None:
    page.allow_problems(NO_NETWORK)  # type: ignore[attr-defined]
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    note = chat.element.locator("[part~=input-note]")
    page.context.set_offline(True)
    expect(chat.element).to_have_attribute("data-connection", "offline")
    chat.send("Please summarise the report")
    expect(note).to_have_text(SENDING)
    chat.input.press("Control+a")
    chat.input.press("Delete")
    expect(note).to_be_hidden()  # emptied: nothing will go
    chat.input.press_sequentially("Actually, never mind, I was going to ask ab")
    expect(note).to_be_hidden()  # a new draft is not the message that was held
    back_online(page, chat)
    expect(chat.user_messages).to_have_count(0)
    expect(chat.input).to_have_value("Actually, never mind, I was going to ask ab")
    chat.input.press("Enter")  # held again only by Enter; online, it goes now
    expect(chat.latest_assistant()).to_contain_text("Answered Actually, never mind, I was going to ask ab on try 1.")
    assert calls(server) == ["Actually, never mind, I was going to ask ab"]


def test_what_is_held_belongs_to_its_conversation(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    reply = cut_off_offline(page, chat)
    retry = retry_of(reply)
    retry.click()
    expect(retry).to_have_attribute("aria-pressed", "true")  # it waits for the socket, visibly
    # Another conversation in its place (a page's, as a saved chat's would be): the retry was
    # for the one it was clicked in.
    chat.element.evaluate(
        """e => e.messages = [{id: 'a1', role: 'user', content: 'alpha'}, {id: 'a2', role: 'assistant', content: 'Alpha answered.'}]"""
    )
    expect(chat.element.locator("[part~=retry]")).not_to_have_attribute("aria-pressed", "true")
    chat.send("held, then cleared")
    expect(chat.element.locator("[part~=input-note]")).to_have_text(SENDING)
    chat.element.evaluate(
        "e => { e.messages = [{id: 'b1', role: 'user', content: 'beta'}, {id: 'b2', role: 'assistant', content: 'Beta answered.'}] }"
    )
    expect(chat.element.locator("[part~=input-note]")).to_be_hidden()
    back_online(page, chat)
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("Beta answered.")
    expect(chat.input).to_have_value("held, then cleared")  # it stays in the box, not sent
    chat.send("next")
    expect(chat.latest_assistant()).to_contain_text("Answered next on try 1. History: 2.")
    assert calls(server) == ["long walk", "next"]  # neither the retry nor the message went


def test_a_message_sent_after_a_held_retry_replaces_it_and_a_retry_after_a_message_replaces_that(
    page: Page, server: Gunicorn
) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    note = chat.element.locator("[part~=input-note]")
    reply = cut_off_offline(page, chat)
    retry = retry_of(reply)
    retry.click()
    expect(retry).to_have_attribute("aria-pressed", "true")
    chat.send("gamma")  # the reader's new message: the cut-off turn stays as it is
    expect(note).to_have_text(SENDING)
    expect(retry).not_to_have_attribute("aria-pressed", "true")
    retry.click()  # changed their mind again: the retry, and the message stays in the box
    expect(retry).to_have_attribute("aria-pressed", "true")
    expect(note).to_be_hidden()
    expect(chat.input).to_have_value("gamma")
    back_online(page, chat)
    expect(chat.latest_assistant()).to_contain_text("Answered long walk on try 2.")
    expect(chat.input).to_have_value("gamma")
    chat.expect_idle()
    chat.input.press("Enter")
    expect(chat.latest_assistant()).to_contain_text("Answered gamma on try 1. History: 2.")
    assert calls(server) == ["long walk", "long walk", "gamma"]


def test_a_turn_cut_off_while_thinking_offers_retry_and_undo_under_the_question(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    page.allow_problems(NO_NETWORK)  # type: ignore[attr-defined]
    chat.send("think hard")
    thought = chat.element.locator(".message.thought")
    expect(thought).to_contain_text("t3")
    page.context.set_offline(True)
    expect(chat.element.locator("[part~=error][data-code=interrupted]")).to_be_visible()
    question = chat.user_messages.last
    expect(question.locator("[part~=undo]")).to_be_visible()
    expect(retry_of(question)).to_be_visible()
    back_online(page, chat)
    retry_of(question).click()
    expect(chat.latest_assistant()).to_contain_text("Answered think hard on try 2.")
    expect(retry_of(chat.latest_assistant())).to_be_visible()


def test_undo_while_offline_takes_the_exchange_back_at_once(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.send("first")
    expect(chat.latest_assistant()).to_contain_text("Answered first on try 1. History: 0.")
    reply = cut_off_offline(page, chat)
    reply.locator("[part~=undo]").click()
    expect(chat.user_messages).to_have_count(1)  # the cut-off exchange went from the screen
    expect(chat.input).to_have_value("long walk")  # and its question is back in the box
    back_online(page, chat)
    chat.send("after undo")  # the server was told the conversation without it
    expect(chat.latest_assistant()).to_contain_text("Answered after undo on try 1. History: 2.")


def test_a_preset_reply_clicked_offline_waits_in_the_box(page: Page, server: Gunicorn) -> None:
    page.allow_problems(NO_NETWORK)  # type: ignore[attr-defined]
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.send("menu")
    option = chat.element.locator("[part~=option]")
    expect(option).to_have_text("Table")
    chat.expect_idle()
    page.context.set_offline(True)
    expect(chat.element).to_have_attribute("data-connection", "offline")
    option.click()
    expect(chat.element.locator("[part~=input-note]")).to_have_text(SENDING)
    expect(chat.input).to_have_value("table")
    back_online(page, chat)
    expect(chat.latest_assistant()).to_contain_text("Answered table on try 1. History: 2.")
    expect(chat.input).to_have_value("")
    assert calls(server) == ["menu", "table"]


def test_a_greeting_offers_no_retry_or_undo(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.element.evaluate("e => e.messages = [{role: 'assistant', content: 'Welcome! Ask me anything.'}]")
    greeting = chat.latest_assistant()
    expect(greeting.locator("[part~=content]")).to_have_text("Welcome! Ask me anything.")
    expect(greeting.locator("[part~=copy-message]")).to_be_attached()  # its row is there
    expect(greeting.locator("[part~=retry], [part~=undo]")).to_have_count(0)
    chat.send("hello")
    expect(chat.latest_assistant()).to_contain_text("Answered hello on try 1.")
    expect(retry_of(chat.latest_assistant())).to_be_visible()


def test_a_worker_that_is_stopping_is_never_online_and_a_held_message_waits_for_the_next(
    page: Page, server: Gunicorn
) -> None:
    # A deploy: the element's worker stops (1012), and the next handshake lands on a worker
    # that is stopping too, which accepts the socket and closes it (1012) before its welcome.
    stopping = {"sockets": 0}
    sockets: list = []

    def route(ws) -> None:  # type: ignore[no-untyped-def]
        if stopping["sockets"]:
            # The handshake completes; then the hello is answered by the close, not by welcome.
            stopping["sockets"] -= 1
            ws.on_message(lambda message: ws.close(code=1012, reason="server restart"))
            return
        sockets.append(ws)
        ws.connect_to_server()

    page.route_web_socket("**/chat/socket", route)
    count_sockets(page)
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.element.evaluate(
        "e => { window.__states = []; e.addEventListener('chat-bot-connection', event => window.__states.push(event.detail.state)) }"
    )
    # Held until the next welcome: the element is reconnecting when Enter is pressed.
    page.clock.pause_at(page.evaluate("Date.now()") + 1)  # the reconnects wait for the test's word
    stopping["sockets"] = 1
    sockets[-1].close(code=1012, reason="server restart")
    expect(chat.element).not_to_have_attribute("data-connection", "online")
    chat.send("sent during the deploy")
    expect(chat.element.locator("[part~=input-note]")).to_have_text(SENDING)
    page.clock.run_for(400)  # the quick retry: to the stopping worker
    page.wait_for_function("() => window.__sockets >= 2")
    page.clock.run_for(1_000)  # the backoff (at most a second): to a worker that stays
    expect(chat.latest_assistant()).to_contain_text("Answered sent during the deploy on try 1.")
    assert page.evaluate("window.__states").count("online") == 1  # never online on the stopping worker
    expect(chat.user_messages.last).not_to_have_attribute("data-status", "error")
    assert calls(server) == ["sent during the deploy"]
