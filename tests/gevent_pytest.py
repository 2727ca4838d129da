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

if __name__ == "__main__":
    os.environ["CHATBOT_TEST_GEVENT"] = "1"
    sys.exit(pytest.main(sys.argv[1:]))
