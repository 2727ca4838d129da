"""chat_bp()'s options with Gradio's names, validated at start-up: ChatOptions (chat_options)
and its checks (display, api, queue), Chatbot, Textbox, additional inputs and outputs,
examples, the page's options (page), the element's languages (locales), and the event data
the developer's listeners get (event_data).

May import: stores, content, files, access, protocol, rendering, runtime, errors. Must not
import: conversation, web or blueprint.
"""
