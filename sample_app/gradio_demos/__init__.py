"""Gradio's own chat demos, ported to flask-chatbot with the smallest changes a porter makes:
the imports, and ``chat_bp(fn, ...)`` registered on a Flask app instead of
``gr.ChatInterface(fn, ...).launch()``. Each module keeps the demo's code otherwise, and
exposes ``blueprint()``; tests/test_gradio_demos.py runs each over a real socket.
"""
