"""This worker's turns of one blueprint, and the log every worker of the host shares.

:class:`TurnHub` starts a :class:`~.live_turn.LiveTurn` for each reply and, while any runs, a
flusher that every ``interval``:

- writes the turns' new frames to the turn log (stores/turn_log.py) in one hop off the gevent
  hub, so a follower on another worker reads them (conversation/remote_turn.py);
- renews each turn's lease (a follower that finds it run out says the worker died), and hears
  of a Stop asked from another worker;
- stops a turn nobody follows after ``resume_window`` seconds without a reader here or
  elsewhere (``on_disconnect="wait"``), or never (``"continue"``: it finishes and waits in the log
  for its reader). ``"cancel"``, Gradio's way, needs no hub: the turn ends with its socket;
- forgets ended turns once ``resume_window`` has passed.

One append per frame would cost 30-40 µs of CPU each (6-8 ms a reply); a flush writes every
frame of the interval at once (docs/performance.md, "The turn log on SQLite").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass

from ..runtime.concurrency import offload
from ..stores.turn_log import TurnLog, TurnState
from .fn_queue import FnGate
from .live_turn import LiveTurn

log = logging.getLogger("flask_chatbot")

# Seconds a runner answers for its turn without renewing (every second): a dead worker's turns
# show as cut off within it. Long enough that a fn holding the gevent hub for a few seconds (it
# should not: every socket of its worker waits too) is not taken for a dead worker.
LEASE = 5.0
RENEW_EVERY = 1.0  # seconds between renewals of a turn with no new frames
# Seconds without a renewal after which another worker's turn no longer holds its conversation's
# next turn back (a runner renews every RENEW_EVERY).
SILENT_FOR = 2 * RENEW_EVERY
FORGET_EVERY = 10.0
# Seconds a turn still waiting in line keeps its place with nobody following it: a reload comes
# back within it; a reader who left frees the place soon for those behind.
WAITING_GRACE = 5.0
MIN_INTERVAL = 0.02
NOBODY_READ = "The connection was lost before the reply was finished."


@dataclass
class _Running:
    turn: LiveTurn
    logged: bool = False  # begun in the log (at once when reserved)
    disowned: bool = False  # a follower ended it in the log (it took this worker for dead): no more writes
    renewed: float = 0.0
    watched_until: float = 0.0  # from the log: a follower on another worker reads until then


def turn_id_for(key: str) -> str:
    """A turn's id, from its key: who holds the key can name the turn, and the id (in logs and
    the turn log's rows) does not give the key away."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class TurnHub:
    """The turns one blueprint runs in this worker, written to ``log`` for the other workers."""

    def __init__(
        self, log_: TurnLog, *, scope: str, interval: float, resume_window: float, continue_alone: bool
    ) -> None:
        self.log = log_
        # The chat's name: a host's chats may share one log (one store folder), and a turn is
        # followed only by a socket of the chat that runs it.
        self.scope = scope
        self.interval = max(interval, MIN_INTERVAL)
        self.resume_window = resume_window
        self.continue_alone = continue_alone  # on_disconnect="continue"
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # the flusher's writes, and a reservation's of an ended turn
        self._running: dict[str, _Running] = {}
        self._flusher: threading.Thread | None = None
        self._forgot = time.monotonic()

    def reserve(self, conversation: str) -> tuple[str, str]:
        """Begin a turn of ``conversation`` (a channel: every socket of one conversation) in the
        log now, before its message is taken: the id and key for :meth:`start`. ValueError when a
        turn of that conversation runs, on any worker of the host (one fn at a time per
        conversation, whichever tab sent it). :meth:`release` one that does not start."""
        key = secrets.token_hex(16)
        turn_id = turn_id_for(key)
        try:
            offload(self.log.begin, turn_id, conversation, lease=LEASE, lane="turn_log")
            return turn_id, key
        except ValueError:
            other = offload(self.log.running, conversation, lane="turn_log")
        with self._lock:
            mine = self._running.get(other.turn) if other is not None else None
        if mine is not None and mine.turn.status is None:
            raise ValueError(f"conversation {conversation!r} runs a turn here")
        if mine is None and other is not None and other.lease_until - time.time() < LEASE - SILENT_FOR:
            # Another worker's turn whose lease has not been renewed for a while: that worker died
            # (a restart, a kill) maybe after the turn ended, before its end was written. The
            # conversation is not held up for the rest of the lease: the turn ends, cut off.
            try:
                offload(self.log.end, other.turn, "interrupted", lane="turn_log")
            except KeyError:
                pass  # it ended meanwhile
        if mine is not None:
            # This worker's turn of the conversation has ended, its end not yet written (the next
            # flush would): written now, as the flusher writes.
            offload(self._write, [mine], lane="turn_log")
        # Again once any flush under way has written its ends (the turn in the way may be one of
        # them); ValueError still when a turn of the conversation runs on another worker.
        offload(self._begin_after_flush, turn_id, conversation, lane="turn_log")
        return turn_id, key

    def _begin_after_flush(self, turn_id: str, conversation: str) -> None:
        with self._writing:
            self.log.begin(turn_id, conversation, lease=LEASE)

    def release(self, turn_id: str) -> None:
        """A reserved turn that did not start (its frame was refused after all)."""
        try:
            offload(self.log.end, turn_id, "stopped", lane="turn_log")
        except Exception:  # its lease runs out in seconds anyway
            log.exception("Releasing turn %s failed", turn_id)

    def start(self, gate: FnGate, reserved: tuple[str, str] | None = None) -> LiveTurn:
        """A new turn of a conversation whose fn runs behind ``gate`` (``reserved``: its id and key
        from :meth:`reserve`, already begun in the log)."""
        turn_id, key = reserved or ("", secrets.token_hex(16))
        turn = LiveTurn(turn_id or turn_id_for(key), key, gate)
        with self._lock:
            self._running[turn.id] = _Running(turn, logged=reserved is not None)
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop, name="flask_chatbot.turns", daemon=True)
                self._flusher.start()
        return turn

    def conversation(self, turn_id: str) -> str:
        """What the log files a turn of this chat under when it has no channel of its own (every
        name the log files this chat's turns under starts with ``scope/``)."""
        return f"{self.scope}/{turn_id}"

    def find(self, turn_id: str, key: str) -> LiveTurn | None:
        """The turn ``turn_id`` if this worker runs it and ``key`` is its key."""
        with self._lock:
            running = self._running.get(turn_id)
        if running is None or not hmac.compare_digest(running.turn.key, key):
            return None
        return running.turn

    def find_by_key(self, key: str) -> LiveTurn | None:
        """The turn whose key is ``key``, if this worker runs it (an SSE stream's Last-Event-ID
        holds the key only)."""
        return self.find(turn_id_for(key), key)

    def left(self, turn: LiveTurn) -> None:
        """A reader of ``turn`` left. With none left, a turn whose fn has not started gives its place
        in line up once WAITING_GRACE has passed with nobody back (the flusher checks)."""

    # -- the flusher ---------------------------------------------------------------------

    def _flush_loop(self) -> None:
        while True:
            with self._lock:
                batch = list(self._running.values())
                if not batch:
                    self._flusher = None
                    return
            try:
                offload(self._write, batch, lane="turn_log")
            except Exception:  # a full disk must not end the flusher: the turns stream on here
                log.exception("Writing the turn log failed")
            now = time.time()
            for running in batch:
                self._apply_policy(running, now)
            if time.monotonic() - self._forgot > FORGET_EVERY:
                self._forgot = time.monotonic()
                try:
                    offload(self.log.forget_ended, now - self.resume_window, lane="turn_log")
                except Exception:
                    log.exception("Forgetting ended turns failed")
            time.sleep(self.interval)  # the pace of the flush, not a wait for anything

    def _write(self, batch: list[_Running]) -> None:
        """Every turn's new frames, lease and end, in the log (off the hub); one writer at a time."""
        with self._writing:
            self._write_batch(batch)

    def _write_batch(self, batch: list[_Running]) -> None:
        now = time.monotonic()
        for running in batch:
            turn = running.turn
            texts, ended = turn.unsaved()
            try:
                if not running.logged:
                    self.log.begin(turn.id, self.conversation(turn.id), lease=LEASE)
                    running.logged = True
                if not running.disowned and (texts or ended or now - running.renewed >= RENEW_EVERY):
                    state = self.log.write(turn.id, texts, lease=LEASE, end=ended)
                    running.renewed = now
                    self._heard(running, state)
            except KeyError:  # its lease ran out (this worker was stalled) and a follower ended it
                running.disowned = True
                log.warning("Turn %s was ended by a follower on another worker: its lease ran out", turn.id)
            except Exception:  # this turn's frames miss the log; it streams on here
                log.exception("Writing turn %s to the log failed", turn.id)
            if ended:
                with self._lock:
                    self._running.pop(turn.id, None)

    def _heard(self, running: _Running, state: TurnState) -> None:
        running.watched_until = running.turn.watched_until = state.watched_until
        if state.stop_asked and running.turn.status is None:
            running.turn.stop()  # a Stop pressed on another worker

    def _apply_policy(self, running: _Running, now: float) -> None:
        turn = running.turn
        left = turn.left_at
        if turn.status is not None or left is None:
            return
        alone = now - max(left, running.watched_until)  # nobody here nor elsewhere, for so long
        if turn.reply is not None and turn.reply.waiting and alone > min(WAITING_GRACE, self.resume_window):
            turn.interrupt(NOBODY_READ)  # its place in line goes to those behind
            return
        if self.continue_alone:
            return
        if alone > self.resume_window:
            turn.interrupt(NOBODY_READ)

    def running_turns(self) -> list[LiveTurn]:
        with self._lock:
            return [running.turn for running in self._running.values()]


__all__ = ["LEASE", "NOBODY_READ", "TurnHub", "turn_id_for"]
