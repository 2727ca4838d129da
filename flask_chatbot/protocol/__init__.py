"""The wire protocol: what the element sends, one marshmallow schema per frame type, parsed and
checked (client_frames); what the server sends, built and encoded (server_frames); the field
types they share (fields); and frames, the one namespace the conversation code speaks. A frame
is parsed here. Mirrors webcomponent/core/protocol.js; both are checked against
tests/fixtures/frames.json.

May import: errors and marshmallow. Must not import: Flask, sockets, or any other subpackage.
"""
