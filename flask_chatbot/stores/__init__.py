"""What persists beyond a socket, behind small interfaces: readers' saved chats (history), the
HTTP API's sessions (api_sessions), the flag log (flag_log), the examples' cached replies
(example_cache) and the turns' frames for their followers (turn_log). The back-ends today are
SQLite, files and memory; others slot in beside them.

May import: content, files, access, protocol, rendering, runtime, errors. Must not import:
options, conversation, web or blueprint.
"""
