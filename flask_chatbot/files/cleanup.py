"""``delete_cache=(frequency, age)``: every ``frequency`` seconds, the store's files older
than ``age`` seconds go (Gradio's option of the same name), uploads and fn's files alike.
Without it, ``upload_lifetime`` does the same for the readers' uploads alone.

One daemon thread per process that registered the blueprint; several workers sweeping one
folder is safe (FileStore.delete_older_than renames before it removes).
"""

from __future__ import annotations

import logging
import threading

from .store import FileStore

log = logging.getLogger("flask_chatbot")


def start_cleaner(store: FileStore, frequency: float, age: float, *, uploads_only: bool = False) -> threading.Thread:
    """Sweep ``store`` now and then every ``frequency`` seconds, in the background (only the
    readers' uploads with ``uploads_only``)."""

    def run() -> None:
        while True:
            try:
                removed = store.delete_older_than(age, uploads_only=uploads_only)
                if removed:
                    log.info("delete_cache: removed %d files older than %g s from %s", removed, age, store.root)
            except OSError:  # a folder gone or unreadable: try again next time
                log.exception("delete_cache could not clean %s", store.root)
            stop.wait(frequency)

    stop = threading.Event()  # never set: the thread ends with the process
    thread = threading.Thread(target=run, name="flask_chatbot.delete_cache", daemon=True)
    thread.start()
    return thread
