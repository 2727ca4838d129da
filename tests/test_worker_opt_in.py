"""A library changes nothing process-wide on import or registration (issue 19): the SIGTERM
handler and the thread switch interval are the worker's to opt into with init_worker(), and the
WebSocket layer's options hold for every chat of an app, whatever the order they were registered in."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from flask import Flask

from flask_chatbot import chat_bp

PROBE = """
import signal, sys
{gevent}
before = (signal.getsignal(signal.SIGTERM), sys.getswitchinterval())
from flask import Flask
import flask_chatbot
from flask_chatbot.runtime import concurrency, shutdown
from flask_chatbot.rendering.renderer import Renderer, RenderOptions

app = Flask("probe")
app.register_blueprint(flask_chatbot.chat_bp(lambda m, h: m), url_prefix="/chat")
class Session:
    def shut_down(self): pass
session = Session()
shutdown.track(session)  # a socket opening on the main thread, as under gevent
table = "| a | b |\\n|---|---|\\n" + "| x | y |\\n" * 500  # past the quick lane: a thread of its own
concurrency.render(Renderer(RenderOptions()), table, from_user=True)
after = (signal.getsignal(signal.SIGTERM), sys.getswitchinterval())
print("unchanged" if after == before else f"changed: {{before}} -> {{after}}")
flask_chatbot.init_worker()
handler = signal.getsignal(signal.SIGTERM)
print("wrapped" if getattr(handler, "_flask_chatbot", False) else "not wrapped", sys.getswitchinterval())
"""


def probe(gevent: bool) -> list[str]:
    script = PROBE.format(gevent="from gevent import monkey; monkey.patch_all()" if gevent else "")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


def test_registering_a_chat_changes_nothing_process_wide_until_the_worker_opts_in() -> None:
    unchanged, opted_in, _ = probe(gevent=False)
    assert unchanged == "unchanged"
    # Threads: the handler is wrapped; the switch interval is CPython's own (5 ms).
    assert opted_in == "wrapped 0.005"


def test_under_gevent_the_worker_opts_into_a_short_switch_interval() -> None:
    unchanged, opted_in, _ = probe(gevent=True)
    assert unchanged == "unchanged"  # the render went to its thread without retuning the interpreter
    assert opted_in == "wrapped 0.001"


def test_the_socket_options_hold_for_every_chat_whatever_the_order() -> None:
    for order in ((1, 2), (2, 1)):
        app = Flask(__name__)
        chats = {
            1: chat_bp(lambda m, h: m, name="small", ping_interval=30, max_frame_bytes=100_000),
            2: chat_bp(lambda m, h: m, name="large", ping_interval=10, max_frame_bytes=2_000_000),
        }
        for index in order:
            app.register_blueprint(chats[index], url_prefix=f"/{index}")
        options = app.config["SOCK_SERVER_OPTIONS"]
        # Pings often enough for either chat; the layer's cap above either chat's own limit.
        assert (options["ping_interval"], options["max_message_size"]) == (10, 8_000_000), order


def test_an_app_s_own_socket_options_win() -> None:
    app = Flask(__name__)
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": 5, "max_message_size": 1234}
    app.register_blueprint(chat_bp(lambda m, h: m, name="a", max_frame_bytes=2_000_000), url_prefix="/a")
    app.register_blueprint(chat_bp(lambda m, h: m, name="b", ping_interval=40), url_prefix="/b")
    options = app.config["SOCK_SERVER_OPTIONS"]
    assert (options["ping_interval"], options["max_message_size"]) == (5, 1234)
    assert "event_class" in options  # backpressure still applies
