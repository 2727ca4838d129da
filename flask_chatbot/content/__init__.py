"""What a message holds: the message model and fn's output as messages (messages), files and
components with Gradio's names (components, encoders), wire content through the chat and back
(wire, sources, tables), its HTML (html), and one blueprint's hooks that bind them to its file
store and renderer (hooks).

May import: files, rendering, runtime, errors. Must not import: stores, options, conversation,
web or blueprint.
"""
