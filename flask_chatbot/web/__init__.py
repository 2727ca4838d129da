"""The chat over HTTP besides the socket: the element's files in few requests (assets, bundle,
minify), config.json (client_config), the HTTP API (http_api, api_request, api_spec,
api_turn, api_files) and the OpenAI-compatible endpoint (openai_api).

May import: conversation and every layer below. Must not import: blueprint or clients.
"""
