"""The wire protocol (flask_chatbot/protocol/frames.py, docs/protocol.md), checked against the
canonical frames of tests/fixtures/frames.json that the element's tests read too."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from flask_chatbot.errors import ProtocolError
from flask_chatbot.protocol import frames as protocol

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "frames.json").read_text(encoding="utf-8"))
LIMIT = 1024 * 1024
STREAM_FRAMES = [frame for stream in FIXTURE["streams"] for frame in stream["frames"]]


def refusal(raw: str | bytes, max_bytes: int = LIMIT) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        protocol.parse_client_frame(raw, max_bytes)
    return info.value


# -- client -> server ------------------------------------------------------------------


@pytest.mark.parametrize("frame", FIXTURE["client_valid"], ids=lambda f: f["type"])
def test_every_canonical_client_frame_parses(frame: dict[str, Any]) -> None:
    parsed = protocol.parse_client_frame(json.dumps(frame), LIMIT)
    assert parsed == frame


def test_hello_without_history_means_an_empty_history() -> None:
    assert protocol.parse_client_frame('{"type": "hello", "version": 1}', LIMIT)["history"] == []


@pytest.mark.parametrize("case", FIXTURE["client_invalid"], ids=lambda c: c.get("raw") or json.dumps(c["frame"]))
def test_every_canonical_bad_client_frame_is_refused_with_its_code(case: dict[str, Any]) -> None:
    raw = case["raw"] if "raw" in case else json.dumps(case["frame"])
    error = refusal(raw)
    assert error.code == case["code"]
    if "mentions" in case:
        assert case["mentions"] in error.message
    assert str(error).startswith(f"{case['code']}: ")


@pytest.mark.parametrize("raw", [b'{"type": "stop"}', bytearray(b'{"type": "stop"}')])
def test_binary_frames_are_bad_json(raw: bytes) -> None:
    assert refusal(raw).code == "bad_json"


@pytest.mark.parametrize("raw", ['"stop"', "42", "null", "true", ""])
def test_json_that_is_not_an_object_is_bad_json(raw: str) -> None:
    assert refusal(raw).code == "bad_json"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ('{"type": "stop", "type": "hello"}', "type"),  # one reader sees stop, another hello
        ('{"type": "submit", "id": "u1", "text": "a", "text": "b"}', "text"),
        (
            '{"type": "hello", "version": 1, "history": [{"id": "u1", "id": "u2", "role": "user", "content": "x"}]}',
            "id",
        ),
        ('{"type": "stop", "\\u0074ype": "hello"}', "type"),  # the same key, escaped
    ],
)
def test_a_duplicate_key_is_bad_json(raw: str, key: str) -> None:
    error = refusal(raw)
    assert error.code == "bad_json"
    assert f"duplicate key {key!r}" in error.message


def test_keys_that_differ_only_in_case_are_not_duplicates() -> None:
    error = refusal('{"type": "stop", "Type": "hello"}')
    assert error.code == "bad_frame"  # an unknown key, not a duplicate one


def test_a_duplicate_key_is_named_briefly() -> None:
    long_key = "k" * 5000
    error = refusal(json.dumps({"type": "stop"})[:-1] + f', "{long_key}": 1, "{long_key}": 2}}')
    assert error.code == "bad_json"
    assert len(error.message) < 200


def test_a_duplicate_among_many_keys_is_found() -> None:
    # The check is a dict and, only when the dict came out short, one pass with a set.
    pairs = ", ".join(f'"k{i}": 0' for i in range(50_000))
    error = refusal('{"type": "stop", ' + pairs + ', "k5": 1}')
    assert error.code == "bad_json" and error.message.endswith("'k5'")


def test_a_frame_type_that_is_not_a_string_is_a_bad_frame() -> None:
    error = refusal('{"type": 5}')
    assert error.code == "bad_frame"
    assert "hello, submit, stop" in error.message


def test_an_error_names_the_nested_field_that_is_wrong() -> None:
    frame = {"type": "hello", "version": 1, "history": [{"id": "u1", "role": "user"}]}
    error = refusal(json.dumps(frame))
    assert error.code == "bad_frame"
    assert "hello.history.0.content" in error.message


def _submit(message_id: str) -> str:
    return json.dumps({"type": "submit", "id": message_id, "text": "hi"})


def test_message_ids_are_1_to_64_safe_characters() -> None:
    assert protocol.parse_client_frame(_submit("A-z_09" + "x" * 58), LIMIT)["id"] == "A-z_09" + "x" * 58
    for bad in ["", "x" * 65, "has space", "é", "a/b", "<b>"]:
        error = refusal(_submit(bad))
        assert error.code == "bad_frame", f"id {bad!r} was accepted"
        assert "submit.id" in error.message


def test_a_message_id_with_a_trailing_newline_is_refused() -> None:
    # The element's check (webcomponent/core/protocol.js) refuses it; so must the server's.
    assert refusal(_submit("u1\n")).code == "bad_frame"
    with pytest.raises(ProtocolError):
        protocol.load_frame(protocol.patch("a7\n", {"keep": 0, "append": ""}), protocol.SERVER_SCHEMAS)


def test_frames_larger_than_max_bytes_are_too_large() -> None:
    frame = json.dumps({"type": "submit", "id": "u1", "text": "x" * 200})
    error = refusal(frame, max_bytes=len(frame) - 1)
    assert error.code == "too_large"
    assert str(len(frame)) in error.message
    assert protocol.parse_client_frame(frame, max_bytes=len(frame))["text"] == "x" * 200


@pytest.mark.parametrize("char", ["é", "€", "😀"])
def test_the_size_limit_counts_utf8_bytes_not_characters(char: str) -> None:
    frame = json.dumps({"type": "submit", "id": "u1", "text": char * 100}, ensure_ascii=False)
    size = len(frame.encode("utf-8"))
    assert size > len(frame)
    error = refusal(frame, max_bytes=len(frame))  # fits in characters, not in bytes
    assert error.code == "too_large"
    assert f"{size} bytes" in error.message
    assert protocol.parse_client_frame(frame, max_bytes=size)["text"] == char * 100


def test_the_size_limit_is_checked_before_decoding() -> None:
    # Memory first: an oversized frame is refused as too large even when it is not JSON.
    assert refusal("{" * 2000, max_bytes=1024).code == "too_large"


def test_deeply_nested_json_is_refused_with_an_error_frame() -> None:
    # A 40 kB frame of brackets must get an error frame like any other bad frame, not an
    # exception that ends the receive loop (docs/protocol.md: the connection carries on).
    error = refusal("[" * 20_000 + "]" * 20_000)
    assert error.code in ("bad_json", "bad_frame")


def test_a_number_too_long_to_convert_is_refused_with_an_error_frame() -> None:
    # Python refuses to convert integers of more than 4300 digits; a 5 kB frame must still
    # be answered with an error frame.
    error = refusal('{"type": "hello", "version": ' + "9" * 5000 + "}")
    assert error.code in ("bad_json", "bad_frame")


def test_text_the_server_accepts_can_be_sent_back() -> None:
    # JSON may escape half of a surrogate pair (the element slicing an emoji in two). The
    # server echoes the text in a `message` frame, which must be valid UTF-8 to be sent.
    raw = '{"type": "submit", "id": "u1", "text": "half an emoji \\ud83d"}'
    try:
        frame = protocol.parse_client_frame(raw, LIMIT)
    except ProtocolError as exc:
        assert exc.code == "bad_frame"
        return
    echo = protocol.message({"id": "u1", "role": "user", "content": frame["text"], "html": "", "status": "done"})
    protocol.encode(echo).encode("utf-8")


# -- server -> client --------------------------------------------------------------------


@pytest.mark.parametrize("frame", FIXTURE["server_valid"] + STREAM_FRAMES, ids=lambda f: f["type"])
def test_every_canonical_server_frame_validates(frame: dict[str, Any]) -> None:
    assert protocol.load_frame(frame, protocol.SERVER_SCHEMAS) == frame


@pytest.mark.parametrize("frame", FIXTURE["turn_valid"], ids=lambda f: f["type"])
def test_every_canonical_frame_of_a_followed_turn_validates(frame: dict[str, Any]) -> None:
    assert protocol.load_frame(frame, protocol.SERVER_SCHEMAS) == frame


def test_a_turn_frame_is_numbered_from_one_and_names_its_turn_with_128_bit_ids() -> None:
    turn = {"type": "turn", "id": "0" * 32, "key": "f" * 32, "seq": 1}
    assert protocol.load_frame(turn, protocol.SERVER_SCHEMAS) == turn
    for bad in ({**turn, "seq": 0}, {**turn, "key": "f" * 31}, {**turn, "id": "G" * 32}):
        with pytest.raises(ProtocolError):
            protocol.load_frame(bad, protocol.SERVER_SCHEMAS)


def test_the_frame_builders_make_valid_frames() -> None:
    frames = [
        protocol.welcome("abc"),
        protocol.welcome("abc", None, {"id": "0" * 32, "resumed": False}),
        {**protocol.turn("0" * 32, "1" * 32), "seq": 1},
        protocol.message(
            {
                "id": "a1",
                "role": "assistant",
                "content": "",
                "html": "",
                "status": "streaming",
                "metadata": {"title": "Thinking"},
            }
        ),
        protocol.patch(
            "a1", {"keep": 0, "append": "Hi", "blocks_from": 0, "blocks": ["<p>x</p>"], "tail": "", "tail_text": "Hi"}
        ),
        protocol.done("a1", "Hi", "<p>Hi</p>", "stopped"),
        protocol.idle(),
        protocol.error("fn_error", "boom", "a1"),
        protocol.error("busy", "wait"),
    ]
    for frame in frames:
        assert protocol.load_frame(frame, protocol.SERVER_SCHEMAS) == frame


def test_encode_is_compact_and_keeps_unicode() -> None:
    assert protocol.encode({"type": "patch", "id": "a1", "keep": 0, "append": "é 😀"}) == (
        '{"type":"patch","id":"a1","keep":0,"append":"é 😀"}'
    )


def _with(frame: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    frame = copy.deepcopy(frame)
    target = frame
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return frame


SERVER_BY_TYPE = {frame["type"]: frame for frame in FIXTURE["server_valid"]}


@pytest.mark.parametrize(
    ("frame_type", "path"),
    [
        ("welcome", ("extra",)),
        ("message", ("extra",)),
        ("message", ("message", "extra")),
        ("patch", ("extra",)),
        ("done", ("extra",)),
        ("idle", ("extra",)),
        ("error", ("extra",)),
    ],
)
def test_server_schemas_reject_unknown_keys(frame_type: str, path: tuple[str, ...]) -> None:
    with pytest.raises(ProtocolError) as info:
        protocol.load_frame(_with(SERVER_BY_TYPE[frame_type], path, 1), protocol.SERVER_SCHEMAS)
    assert info.value.code == "bad_frame"
    assert "extra" in info.value.message


@pytest.mark.parametrize(
    ("frame_type", "path", "value"),
    [
        ("patch", ("keep",), -1),
        ("patch", ("keep",), "6"),
        ("patch", ("blocks",), "<p>not a list</p>"),
        ("done", ("status",), "streaming"),  # done is final
        ("message", ("message", "status"), "thinking"),
        ("message", ("message", "role"), "tool"),
        ("message", ("message", "id"), "no spaces please"),
        ("welcome", ("version",), "1"),
    ],
)
def test_server_schemas_reject_wrong_values(frame_type: str, path: tuple[str, ...], value: Any) -> None:
    with pytest.raises(ProtocolError) as info:
        protocol.load_frame(_with(SERVER_BY_TYPE[frame_type], path, value), protocol.SERVER_SCHEMAS)
    assert info.value.code == "bad_frame"


def test_server_frames_are_not_accepted_from_the_client() -> None:
    error = refusal(json.dumps(protocol.idle()))
    assert error.code == "bad_frame"
    assert "'idle'" in error.message
