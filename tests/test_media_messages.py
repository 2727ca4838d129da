"""Files and components in replies, end to end over a real socket and HTTP (issue 6, item 5)."""

from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from live import final_text

from flask_chatbot import ChatMessage
from flask_chatbot.content.components import Code, Image
from flask_chatbot.rendering.renderer import Renderer, RenderOptions

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def assistant(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == kind and (kind != "message" or f["message"]["role"] == "assistant")]


def test_text_then_a_file_path_gives_two_messages_and_the_file_is_served_by_id(serve, tmp_path: Path) -> None:
    from live import Client

    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)

    def fn(message, history):
        return ["Here is the chart:", {"path": str(chart), "alt_text": "Sales by month"}]

    server = serve(fn)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.hello()
    frames = client.turn("chart")
    done = assistant(frames, "done")
    assert [d["status"] for d in done] == ["done", "done"] and done[0]["content"] == "Here is the chart:"
    image = done[1]["content"]
    assert image["component"] == "image" and image["alt_text"] == "Sales by month"
    assert str(chart) not in done[1]["html"] and f"/chat/files/{image['file']['id']}" in done[1]["html"]
    assert 'alt="Sales by month"' in done[1]["html"]
    status, headers, body = fetch(f"http://127.0.0.1:{server.port}/chat/files/{image['file']['id']}")
    assert (status, headers["Content-Type"], body) == (200, "image/png", PNG)
    assert headers["X-Content-Type-Options"] == "nosniff"
    client.close()


def test_fn_gets_gradio_s_file_dict_in_the_next_history_and_hello_round_trips_it(connect, tmp_path: Path) -> None:
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3" + bytes(100))
    seen: list[list[dict[str, Any]]] = []

    def fn(message, history):
        seen.append(history)
        return ChatMessage(content={"path": str(song)}) if message == "play" else "ok"

    client = connect(fn)
    frames = client.turn("play", "u1")
    [done] = assistant(frames, "done")
    assert done["content"]["component"] == "audio" and "<audio controls" in done["html"]
    client.turn("again", "u2")
    entry = seen[1][1]["content"]
    assert entry["orig_name"] == "song.mp3" and entry["mime_type"] == "audio/mpeg" and Path(entry["path"]).is_file()
    # The browser sends the conversation back after a reconnect: the file is named by id only.
    client.hello(
        [
            {"id": "u1", "role": "user", "content": "play"},
            {"id": done["id"], "role": "assistant", "content": done["content"]},
        ]
    )
    client.turn("third", "u3")
    assert seen[2][1]["content"]["path"] == entry["path"]


def test_hello_naming_a_file_the_store_does_not_have_keeps_the_conversation_without_it(connect) -> None:
    seen: list[list[dict[str, Any]]] = []

    def fn(message, history):
        seen.append(history)
        return "ok"

    client = connect(fn)
    forged = {"component": "file", "file": {"id": "A" * 24, "name": "passwd", "size": 1, "mime_type": "text/plain"}}
    assert client.hello([{"id": "x", "role": "assistant", "content": forged}])["type"] == "welcome"
    assert list(final_text(client.turn("still works", "u2")).values()) == ["ok"]
    assert seen[0] == [{"role": "assistant", "content": "[a file that is no longer available]"}]


def test_hello_with_content_of_a_bad_shape_gets_an_error_and_the_socket_carries_on(connect) -> None:
    client = connect(lambda message, history: "ok")
    client.send(
        {
            "type": "hello",
            "version": 1,
            "history": [{"id": "x", "role": "assistant", "content": {"component": "image", "file": "/etc/passwd"}}],
        }
    )
    error = client.recv_until("error")[-1]
    assert error["code"] == "bad_frame" and "'x'" in error["message"]
    assert list(final_text(client.turn("still works", "u2")).values()) == ["ok"]


def test_a_streaming_image_is_sent_once_while_text_around_it_streams(connect, tmp_path: Path) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    shown = threading.Event()

    def fn(message, history):
        text = ""
        for word in ("A", "cat", "picture", "for", "you."):
            text += word + " "
            yield [Image(str(picture), alt_text="A cat"), text]
            shown.wait(10)

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "cat"})
    frames = client.recv_until("patch")
    shown.set()
    frames += client.recv_until("idle")
    image_frames = [f for f in frames if f["type"] == "message" and isinstance(f["message"]["content"], dict)]
    text_id = [f["message"]["id"] for f in assistant(frames, "message") if f["message"]["content"] == ""][0]
    assert len(image_frames) == 1  # created once, never re-sent while the text streams
    assert [d["content"] for d in assistant(frames, "done") if d["id"] == text_id] == ["A cat picture for you. "]


def test_a_refused_path_ends_the_turn_with_an_error_that_does_not_echo_the_path(connect) -> None:
    def fn(message, history):
        return ["Here is the key:", {"path": "/root/.ssh/id_rsa"}]

    frames = connect(fn).turn("go")
    assert frames[-1]["type"] == "idle"
    [error] = [f for f in frames if f["type"] == "error"]
    assert error["code"] == "fn_error" and "ssh" not in error["message"]


@pytest.mark.parametrize(
    "value, marker",
    [
        (Code("print(1)", language="python"), "code-block"),
        ({"component": "html", "value": "<b>bold</b>"}, "<b>bold</b>"),
    ],
)
def test_components_render_on_the_server(connect, value: Any, marker: str) -> None:
    frames = connect(lambda message, history: ChatMessage(content=value)).turn("go")
    [done] = assistant(frames, "done")
    assert marker in done["html"]


def test_audio_and_images_at_urls_of_unlisted_hosts_are_links_and_listed_ones_play(connect) -> None:
    from flask_chatbot import Audio

    def fn(message, history):
        return [Audio("https://media.example.org/song.mp3"), Image("https://img.example.org/cat.png", alt_text="cat")]

    done = assistant(connect(fn).turn("go"), "done")
    assert "<audio" not in done[0]["html"] and 'href="https://media.example.org/song.mp3"' in done[0]["html"]
    assert "<img" not in done[1]["html"] and 'href="https://img.example.org/cat.png"' in done[1]["html"]
    done = assistant(connect(fn, image_hosts=["media.example.org"]).turn("go"), "done")
    assert (
        '<audio controls preload="none"' in done[0]["html"]
        and 'src="https://media.example.org/song.mp3"' in done[0]["html"]
    )


def test_the_page_csp_keeps_images_and_media_to_the_listed_hosts(serve) -> None:
    for hosts, listed in (((), ""), (("media.example.org",), " https://media.example.org")):
        server = serve(lambda m, h: "ok", image_hosts=list(hosts))
        status, headers, _ = fetch(f"http://127.0.0.1:{server.port}/chat/")
        policy = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";") if d.strip())
        assert policy["media-src"] == "'self'" + listed and policy["img-src"] == "'self' data: blob:" + listed


@pytest.mark.parametrize(
    "html",
    [
        '<video src="https://evil.example/v.mp4?who=reader" controls></video>',
        '<audio controls><source src="https://evil.example/a.mp3"></audio>',
        '<video controls poster="https://evil.example/p.png"><source src="//evil.example/v.webm" type="video/webm"></video>',
    ],
)
def test_a_reply_s_players_load_nothing_from_an_unlisted_host(html: str) -> None:
    renderer = Renderer(RenderOptions(allow_tags=("audio", "video", "source")))
    out = renderer.render(html, from_user=False)
    assert not re.search(r'(src|poster)="[^"]*evil', out), out  # nothing loads from it...
    assert 'href="' in out and "evil.example" in out  # ...the reader gets a link to it instead
    listed = Renderer(RenderOptions(allow_tags=("audio", "video", "source"), image_hosts=("evil.example",)))
    assert re.search(r'src="[^"]*evil', listed.render(html, from_user=False))


def test_an_html_component_s_player_loads_nothing_before_a_click() -> None:
    from flask_chatbot.rendering.html_component import clean_html_component

    html = clean_html_component('<audio src="https://evil.example/x?d=secret" controls></audio>')
    assert 'preload="none"' in html
