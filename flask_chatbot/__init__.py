"""flask-chatbot: a chat UI for any Python function, in any Flask app and on any web page."""

from __future__ import annotations

from .blueprint import chat_bp as chat_bp
from .chatbot import Chatbot as Chatbot
from .client import Client as Client
from .client import ClientError as ClientError
from .components import HTML as HTML
from .components import Audio as Audio
from .components import Code as Code
from .components import Dataframe as Dataframe
from .components import File as File
from .components import FileData as FileData
from .components import Gallery as Gallery
from .components import Image as Image
from .components import Plot as Plot
from .components import Video as Video
from .errors import ChatbotError as ChatbotError
from .errors import Error as Error
from .errors import OptionsError as OptionsError
from .errors import ProtocolError as ProtocolError
from .event_data import CopyData as CopyData
from .event_data import EditData as EditData
from .event_data import LikeData as LikeData
from .event_data import RetryData as RetryData
from .event_data import SelectData as SelectData
from .event_data import UndoData as UndoData
from .inputs import Accordion as Accordion
from .inputs import Checkbox as Checkbox
from .inputs import CheckboxGroup as CheckboxGroup
from .inputs import Dropdown as Dropdown
from .inputs import Number as Number
from .inputs import Radio as Radio
from .inputs import Slider as Slider
from .outputs import JSON as JSON
from .outputs import Markdown as Markdown
from .load_chat import load_chat as load_chat
from .notices import Info as Info
from .notices import Progress as Progress
from .notices import Success as Success
from .notices import Warning as Warning  # noqa: A004 (gr.Warning's name; the builtin stays builtins.Warning)
from .request_context import conversation_id as conversation_id
from .textbox import MultimodalTextbox as MultimodalTextbox
from .textbox import Textbox as Textbox
from .validation import validate as validate
from .messages import ChatMessage as ChatMessage
from .messages import Metadata as Metadata
from .options import ChatOptions as ChatOptions

__version__ = "0.9.0.dev0"
