"""flask-chatbot: a chat UI for any Python function, in any Flask app and on any web page."""

from __future__ import annotations

from .blueprint import chat_bp as chat_bp
from .chatbot import Chatbot as Chatbot
from .errors import ChatbotError as ChatbotError
from .errors import Error as Error
from .errors import OptionsError as OptionsError
from .errors import ProtocolError as ProtocolError
from .messages import ChatMessage as ChatMessage
from .messages import Metadata as Metadata
from .options import ChatOptions as ChatOptions

__version__ = "0.1.0"
