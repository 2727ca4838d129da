"""flask-chatbot: a chat UI for any Python function, in any Flask app and on any web page."""

from __future__ import annotations

from .blueprint import chat_bp as chat_bp
from .clients.client import Client as Client
from .clients.client import ClientError as ClientError
from .clients.load_chat import load_chat as load_chat
from .content.components import HTML as HTML
from .content.components import Audio as Audio
from .content.components import Code as Code
from .content.components import Dataframe as Dataframe
from .content.components import File as File
from .content.components import FileData as FileData
from .content.components import Gallery as Gallery
from .content.components import Image as Image
from .content.components import Plot as Plot
from .content.components import Video as Video
from .content.messages import ChatMessage as ChatMessage
from .content.messages import Metadata as Metadata
from .conversation.notices import Info as Info
from .conversation.notices import Progress as Progress
from .conversation.notices import Success as Success
from .conversation.notices import Warning as Warning
from .conversation.request_context import conversation_id as conversation_id
from .conversation.validation import validate as validate
from .errors import ChatbotError as ChatbotError
from .errors import Error as Error
from .errors import OptionsError as OptionsError
from .errors import ProtocolError as ProtocolError
from .options.chat_options import ChatOptions as ChatOptions
from .options.chatbot import Chatbot as Chatbot
from .options.event_data import CopyData as CopyData
from .options.event_data import EditData as EditData
from .options.event_data import LikeData as LikeData
from .options.event_data import RetryData as RetryData
from .options.event_data import SelectData as SelectData
from .options.event_data import UndoData as UndoData
from .options.inputs import Accordion as Accordion
from .options.inputs import Checkbox as Checkbox
from .options.inputs import CheckboxGroup as CheckboxGroup
from .options.inputs import Dropdown as Dropdown
from .options.inputs import Number as Number
from .options.inputs import Radio as Radio
from .options.inputs import Slider as Slider
from .options.outputs import JSON as JSON
from .options.outputs import Markdown as Markdown
from .options.textbox import MultimodalTextbox as MultimodalTextbox
from .options.textbox import Textbox as Textbox
from .runtime.worker import init_worker as init_worker

__version__ = "0.10.0.dev0"

__all__ = [
    "Accordion",
    "Audio",
    "ChatMessage",
    "ChatOptions",
    "Chatbot",
    "ChatbotError",
    "Checkbox",
    "CheckboxGroup",
    "Client",
    "ClientError",
    "Code",
    "CopyData",
    "Dataframe",
    "Dropdown",
    "EditData",
    "Error",
    "File",
    "FileData",
    "Gallery",
    "HTML",
    "Image",
    "Info",
    "JSON",
    "LikeData",
    "Markdown",
    "Metadata",
    "MultimodalTextbox",
    "Number",
    "OptionsError",
    "Plot",
    "Progress",
    "ProtocolError",
    "Radio",
    "RetryData",
    "SelectData",
    "Slider",
    "Success",
    "Textbox",
    "UndoData",
    "Video",
    "Warning",
    "chat_bp",
    "conversation_id",
    "init_worker",
    "load_chat",
    "validate",
]
