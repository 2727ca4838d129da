"""One socket's conversation and its turns: the receive loop and dispatch (session, with
session_view, the surface its helpers see, and bot, what a blueprint's sessions share), what
the reader does (actions, resent, multimodal, cached_examples, initial_value, validation), one
turn (reply, streaming, outbox, inbox, notices, request_context), who may run fn when
(fn_queue, host_line, client_share), and saving chats on the server (history_sync). A reply is
streamed here.

May import: options and every layer below. Must not import: web, blueprint or clients.
"""
