"""The conversation's running reply has one owner (issue 20, item 8): CurrentTurn. Stop,
clear, the socket's end and the worker's shutdown act on it from any thread, and what a clear
says of a reply goes with that reply."""

from __future__ import annotations

import pytest

from flask_chatbot.conversation.current_turn import CurrentTurn


class Reply:
    """A reply as CurrentTurn sees it: something to stop."""

    def __init__(self) -> None:
        self.stops = 0

    def stop(self) -> None:
        self.stops += 1


def test_a_reply_runs_from_start_to_end_and_its_messages_are_kept() -> None:
    turn, reply = CurrentTurn(), Reply()
    assert not turn.running
    turn.start(reply)
    assert turn.running
    with pytest.raises(RuntimeError):
        turn.start(Reply())  # one at a time per conversation
    turn.stop()
    assert reply.stops == 1 and turn.running  # stopped, not ended: its emitter ends it
    assert turn.end() is True and not turn.running


def test_a_cleared_reply_ends_out_of_the_history_and_the_next_one_is_kept() -> None:
    turn, cleared, next_reply = CurrentTurn(), Reply(), Reply()
    turn.start(cleared)
    turn.discard()
    assert cleared.stops == 1
    assert turn.end() is False  # its messages do not bring the cleared conversation back
    turn.start(next_reply)
    assert turn.end() is True  # the clear said nothing of this one


def test_a_clear_with_no_reply_running_gives_up_nothing() -> None:
    turn = CurrentTurn()
    turn.discard()
    turn.stop()
    turn.start(Reply())
    assert turn.end() is True
