"""The streaming benchmark: ``python -m bench`` (``make bench``); docs/performance.md has the results.

- :mod:`bench.text`: the deterministic, LLM-like Markdown replies that are streamed.
- :mod:`bench.inprocess`: rendering once, ``MessageStream`` fed every yield, the naive way.
- :mod:`bench.server` and :mod:`bench.live`: gunicorn serving ``chat_bp`` in its own process,
  real WebSocket clients, the worker's CPU time per streamed reply.
- :mod:`bench.report`: the printed tables and docs/performance.md.
"""
