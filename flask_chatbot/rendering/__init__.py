"""Text to safe HTML, in time linear in the text and within a CPU budget: Python-Markdown's
linear parts (markdown_blocks, markdown_inline, markdown_indexes, markdown_linear), the CPU
deadline (deadline), the HTML allowlist and bleach (sanitize), math as MathML (math), code
highlighting (code_highlight), HTML components (html_component), and the Renderer that puts
them together (renderer). Markdown is made safe here.

May import: runtime, errors, and Markdown, bleach, Pygments, latex2mathml. Must not import:
Flask, sockets, gevent, or any layer above (checked by ``.importlinter``).
"""
