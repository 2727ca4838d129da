"""The worker process that serves the chats: what the other layers may rely on about it.

Holds: threads or gevent and the render lanes (concurrency), the one asyncio loop per worker
(event_loop), calling fn in any of its shapes with stop (runner), the drain on SIGTERM
(shutdown), what a worker opts into with init_worker() (worker), SQLite files opened safely
from many processes (sqlite_files), and where the package's own files are (package_files).

May import: the standard library and Flask's context helpers; nothing of flask_chatbot but
errors. Must not import: any other subpackage (it is the bottom layer).
"""
