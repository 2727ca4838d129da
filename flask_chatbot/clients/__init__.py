"""The public clients: ``Client`` for a chat's HTTP API (client) and ``load_chat``, a chat in
front of any OpenAI-compatible server (load_chat).

May import: blueprint and every layer below (the top layer).
"""
