"""Who may use which door of a chat: the access policy (``authorize=``, API keys: policy), the
WebSocket handshake's Origin and Host rules (origin), CORS for pages of other sites
(embedding), and the guard every route of a blueprint passes (route_guards).

May import: errors, Flask and werkzeug. Must not import: the layers above (options,
conversation, web, blueprint), nor files, content, protocol or stores.
"""
