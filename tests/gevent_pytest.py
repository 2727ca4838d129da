"""Run pytest with gevent's monkey-patching, as gunicorn's gevent worker runs the app.

``python tests/gevent_pytest.py tests/test_socket.py ...``: every thread the library
starts (socket readers, replies, emitters, the asyncio loop) becomes a greenlet on one
OS thread, and the live test server serves each connection in a greenlet, so the socket
suite exercises the recommended deployment's concurrency model. Patching must come
before anything imports threading, hence a script rather than a conftest option.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from flask_chatbot.runtime.concurrency import gevent_active  # noqa: E402

if __name__ == "__main__":
    # The checkout's own modules (sample_app) import as under `python -m pytest`, which puts
    # the working directory first on the path; a script puts its own folder there instead.
    sys.path.insert(0, os.getcwd())
    if not gevent_active():  # a run that silently fell back to threads would prove nothing
        sys.exit("gevent_pytest: monkey-patching did not take; the library would run on threads")
    sys.exit(pytest.main(sys.argv[1:]))
