"""gunicorn settings for the sample app: the gevent worker (docs/deployment.md).

Each open WebSocket is a greenlet, not a thread, so one worker holds thousands of
conversations; flask-chatbot keeps CPU-heavy work (big renders) off the event loop and
runs async fns on one asyncio loop per worker. ``CHATBOT_WORKER_CLASS=gthread`` runs
the threaded worker instead (``CHATBOT_THREADS`` threads each; a socket holds a thread).
"""

import os

bind = os.environ.get("CHATBOT_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("CHATBOT_WORKER_CLASS", "gevent")
workers = int(os.environ.get("CHATBOT_WORKERS", "2"))
worker_connections = int(os.environ.get("CHATBOT_CONNECTIONS", "4000"))  # gevent: sockets per worker
threads = int(os.environ.get("CHATBOT_THREADS", "64"))  # gthread only
# A socket open for an hour is normal: the worker's heartbeat, not the request, is timed.
timeout = 60
graceful_timeout = 5
keepalive = 5
accesslog = "-"


def post_worker_init(worker):
    """Each worker opts into what flask-chatbot leaves to the process (docs/deployment.md): its
    chats closed at once with 1012 on SIGTERM (a deploy, a restart), and under gevent a 1 ms
    thread switch interval, so that a long render lets the event loop serve the other sockets."""
    import flask_chatbot

    flask_chatbot.init_worker()
