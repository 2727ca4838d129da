"""gunicorn settings for the sample app: threads serve WebSockets well.

Each open WebSocket holds one thread for its life, so the gthread worker with
many threads is the simple, robust choice; gevent (``-k gevent``) also works and
holds more idle sockets per process. See docs/deployment.md.
"""

import os

bind = os.environ.get("CHATBOT_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("CHATBOT_WORKERS", "2"))
threads = int(os.environ.get("CHATBOT_THREADS", "64"))
# A socket open for an hour is normal: the worker's heartbeat, not the request, is timed.
timeout = 60
graceful_timeout = 5
keepalive = 5
accesslog = "-"
