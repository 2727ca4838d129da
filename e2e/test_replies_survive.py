"""No reply lost, in Chromium against the sample app's gunicorn config (two gevent workers): a
reload, a dropped connection or a deploy mid-reply loses and repeats no word, Stop after a
reload stops fn, and a worker killed mid-reply ends in a reply cut off with Retry.

The module is also the app these tests serve (``create_app``). "story N" streams N words, 20
a second on its first try (fn records each call, with its worker's pid, in ``RESUME_DIR``,
shared by the workers); a later try answers at once.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from harness import REFUSED_SOCKET, ChatController, Gunicorn
from playwright.sync_api import Page, WebSocketRoute, expect

from flask_chatbot import chat_bp

NO_NETWORK = (
    r"^WebSocket connection to '[^']*' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED$"
)


def story(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def record(event: str) -> int:
    """Note ``event`` of fn (in any worker); how many times it happened."""
    calls = Path(os.environ["RESUME_DIR"]) / "calls"
    with calls.open("a") as log:
        log.write(f"{event}\n")
    return calls.read_text().splitlines().count(event)


def fn(message: str, history: list[dict]) -> Iterator[str]:
    attempt = record(message)
    (Path(os.environ["RESUME_DIR"]) / "pid").write_text(str(os.getpid()))
    n = int(message.split()[1])
    if attempt > 1:
        yield f"Try {attempt}: {story(n)}"
        return
    try:
        for i in range(1, n + 1):
            yield story(i)
            time.sleep(0.05)  # the app's pace (20 words a second), not the test's
    finally:
        record(f"closed {message}")


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(fn, title="Resume"), url_prefix="/chat")
    return app


def calls(server: Gunicorn) -> list[str]:
    return (Path(server.env["RESUME_DIR"]) / "calls").read_text().splitlines()


def fn_pid(server: Gunicorn) -> int:
    return int((Path(server.env["RESUME_DIR"]) / "pid").read_text())


def mid_reply(page: Page, server: Gunicorn, words: int, shown: str) -> ChatController:
    """The chat page, asked for a story of ``words`` words, once the reply shows ``shown``."""
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.send(f"story {words}")
    expect(chat.latest_assistant()).to_contain_text(shown)
    return chat


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Gunicorn]:
    gunicorn = Gunicorn(
        "test_replies_survive:create_app()",
        RESUME_DIR=str(tmp_path),
        CHATBOT_UPLOAD_DIR=str(tmp_path / "store"),  # the host's store, and its turn log
    )
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


def test_reloading_three_times_mid_reply_loses_and_repeats_no_word(page: Page, server: Gunicorn) -> None:
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.send("story 80")
    for word in ("w5", "w20", "w40"):
        expect(chat.latest_assistant()).to_contain_text(word)
        page.reload()  # each time on either worker: the turn runs on in the first
        expect(chat.element).to_have_attribute("data-connection", "online", timeout=10_000)
        expect(chat.stop_button).to_be_visible()  # still generating after the reload
    chat.expect_idle()
    expect(chat.assistant_messages).to_have_count(1)
    expect(chat.latest_assistant()).to_have_attribute("data-status", "done")
    assert chat.latest_assistant().locator("[part~=content]").inner_text() == story(80)
    expect(chat.element.locator("[part~=error]")).to_have_count(0)
    assert calls(server) == ["story 80", "closed story 80"]  # fn ran once, to its end
    chat.send("story 2")  # the conversation goes on, the reply in its history
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text("w0 w1")


def test_a_dropped_connection_mid_reply_goes_on_where_it_was(page: Page, server: Gunicorn) -> None:
    page.allow_problems(NO_NETWORK)  # type: ignore[attr-defined]
    chat = mid_reply(page, server, 60, "w5")
    page.context.set_offline(True)  # the train enters a tunnel
    expect(chat.status).to_have_text("Offline. Reconnecting…")
    expect(chat.latest_assistant()).to_have_attribute("data-status", "streaming")  # not cut off yet
    page.context.set_offline(False)
    chat.expect_idle()
    assert chat.latest_assistant().locator("[part~=content]").inner_text() == story(60)
    expect(chat.latest_assistant()).to_have_attribute("data-status", "done")
    expect(chat.element.locator("[part~=error]")).to_have_count(0)
    assert calls(server) == ["story 60", "closed story 60"]


def test_stop_after_a_reload_stops_fn(page: Page, server: Gunicorn) -> None:
    chat = mid_reply(page, server, 200, "w5")
    page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online", timeout=10_000)
    expect(chat.latest_assistant()).to_contain_text("w10")  # following it again
    chat.stop_button.click()
    chat.expect_idle()
    expect(chat.latest_assistant()).to_have_attribute("data-status", "stopped")
    text = chat.latest_assistant().locator("[part~=content]").inner_text()
    assert story(200).startswith(text) and text != story(200)
    for _ in range(200):  # fn itself closes at its next yield, whichever worker runs it
        if "closed story 200" in calls(server):
            break
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert calls(server) == ["story 200", "closed story 200"]


def test_a_deploy_mid_reply_loses_nothing(page: Page, server: Gunicorn) -> None:
    page.allow_problems(REFUSED_SOCKET)  # type: ignore[attr-defined]
    assert server.process is not None
    chat = mid_reply(page, server, 80, "w10")
    # New workers; the old ones finish their turns within the sample config's graceful_timeout (5 s).
    os.kill(server.process.pid, signal.SIGHUP)
    chat.expect_idle()
    assert chat.latest_assistant().locator("[part~=content]").inner_text() == story(80)
    expect(chat.latest_assistant()).to_have_attribute("data-status", "done")
    expect(chat.element.locator("[part~=error]")).to_have_count(0)
    assert calls(server) == ["story 80", "closed story 80"]


def test_a_killed_worker_ends_the_reply_cut_off_with_retry(page: Page, server: Gunicorn) -> None:
    page.allow_problems(REFUSED_SOCKET)  # type: ignore[attr-defined]
    chat = mid_reply(page, server, 400, "w5")
    reply = chat.latest_assistant()
    os.kill(fn_pid(server), signal.SIGKILL)  # out of memory, say
    alert = chat.element.locator("[part~=error][data-code=interrupted]")
    expect(alert).to_be_visible(timeout=10_000)
    expect(reply).to_have_attribute("data-status", "error")
    chat.expect_idle()
    reply.locator("[part~=retry]").click()
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(f"Try 2: {story(400)}")
    expect(chat.assistant_messages).to_have_count(1)


def test_a_reload_just_after_enter_gets_the_reply(page: Page, server: Gunicorn) -> None:
    # A slow network: nothing the server sends after the message reaches this first page, which
    # reloads before the turn's first frame came (its hello cannot name the turn).
    state = {"first": True, "sent": False}

    def slow_network(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()
        first, state["first"] = state["first"], False

        def to_server(message: str | bytes) -> None:
            if first and isinstance(message, str) and '"submit"' in message:
                state["sent"] = True
            upstream.send(message)

        def to_page(message: str | bytes) -> None:
            if not (first and state["sent"]):
                ws.send(message)

        ws.on_message(to_server)
        upstream.on_message(to_page)

    page.route_web_socket(re.compile(r"/chat/socket$"), slow_network)
    chat = ChatController(page)
    chat.open(f"{server.url}/chat/")
    chat.send("story 30")
    page.reload()
    expect(chat.element).to_have_attribute("data-connection", "online", timeout=10_000)
    expect(chat.user_messages).to_have_text(["story 30"])
    chat.expect_idle()
    expect(chat.latest_assistant().locator("[part~=content]")).to_have_text(story(30))
    expect(chat.assistant_messages).to_have_count(1)
    assert calls(server).count("story 30") == 1  # fn ran once
