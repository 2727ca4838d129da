"""The wire protocol in one namespace, as the conversation code and the tests speak it:
``frames.parse_client_frame(raw)``, ``frames.patch(...)``, ``frames.encode(frame)``.

What the element sends is in client_frames.py, what the server sends in server_frames.py, the
field types they share in fields.py. Mirrors webcomponent/core/protocol.js; docs/protocol.md is the
reference and tests/fixtures/frames.json holds the canonical frames both test suites read.
"""

from __future__ import annotations

from .client_frames import CLIENT_SCHEMAS as CLIENT_SCHEMAS
from .client_frames import load_frame as load_frame
from .client_frames import parse_client_frame as parse_client_frame
from .fields import FILE_ID_PATTERN as FILE_ID_PATTERN
from .fields import PROTOCOL_VERSION as PROTOCOL_VERSION
from .fields import ROLES as ROLES
from .fields import SESSION_ID as SESSION_ID
from .fields import STATUSES as STATUSES
from .fields import TURN_ID as TURN_ID
from .fields import UPLOAD_KEY as UPLOAD_KEY
from .server_frames import SERVER_SCHEMAS as SERVER_SCHEMAS
from .server_frames import conversation as conversation
from .server_frames import done as done
from .server_frames import encode as encode
from .server_frames import error as error
from .server_frames import feedback as feedback
from .server_frames import idle as idle
from .server_frames import message as message
from .server_frames import output as output
from .server_frames import patch as patch
from .server_frames import queued as queued
from .server_frames import remove as remove
from .server_frames import running as running
from .server_frames import toast as toast
from .server_frames import turn as turn
from .server_frames import welcome as welcome
