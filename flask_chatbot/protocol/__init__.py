"""The wire protocol: one marshmallow schema per frame type and the frames the server sends
(frames), and the field types they share (fields). A frame is parsed here. Mirrors
webcomponent/core/protocol.js; both are checked against tests/fixtures/frames.json.

May import: errors and marshmallow. Must not import: Flask, sockets, or any other subpackage.
"""
