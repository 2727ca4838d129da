"""What persists beyond a socket, behind small interfaces: readers' saved chats (history), the
HTTP API's sessions (api_sessions), the flag log (flag_log) and the examples' cached replies
(example_cache). The back-ends today are SQLite and files; others slot in beside them.

May import: content, files, access, protocol, rendering, runtime, errors. Must not import:
options, conversation, web or blueprint.
"""
