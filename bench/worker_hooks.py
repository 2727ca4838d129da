"""gunicorn hooks for the benchmarks' servers (``--config python:bench.worker_hooks``): each
worker opts into what flask-chatbot leaves to the process, as sample_app/gunicorn.conf.py does."""


def post_worker_init(worker: object) -> None:
    import flask_chatbot

    flask_chatbot.init_worker()
