"""What a worker process serving chats opts into, once: :func:`init_worker`.

flask-chatbot changes nothing process-wide when it is imported or a blueprint is registered: a
library must not replace an application's signal handlers or retune its interpreter behind its
back. A server's worker asks for both in gunicorn's config (docs/deployment.md)::

    # gunicorn.conf.py
    def post_worker_init(worker):
        import flask_chatbot
        flask_chatbot.init_worker()
"""

from __future__ import annotations

import sys
import threading

from . import shutdown
from .concurrency import SWITCH_INTERVAL, gevent_active


def init_worker(*, close_on_sigterm: bool = True, switch_interval: float | None = SWITCH_INTERVAL) -> None:
    """Set up this worker process for chats. Call it on the worker's main thread, after the
    server installed its own signal handlers (gunicorn's ``post_worker_init``).

    - ``close_on_sigterm``: on SIGTERM (a deploy, a restart, a scale-down) close every chat at
      once with close code 1012, so that the worker stops within a moment instead of waiting
      out gunicorn's ``graceful_timeout``, and the elements reconnect to another worker and say
      "The server restarted". The server's own handler still runs after it.
    - ``switch_interval``: under gevent, the interpreter's thread switch interval at most this
      many seconds (1 ms by default; CPython's is 5 ms), so that a long render on a thread of
      its own lets the event loop serve the other sockets every millisecond. None leaves it.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("init_worker() must be called on the worker's main thread (gunicorn's post_worker_init)")
    if close_on_sigterm:
        shutdown.enable()
    if switch_interval is not None and gevent_active():
        sys.setswitchinterval(min(sys.getswitchinterval(), switch_interval))


__all__ = ["init_worker"]
