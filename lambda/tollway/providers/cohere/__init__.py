"""Cohere: the v2 Chat API (``/v2/chat``, SSE streaming) and v2 embeddings (``/v2/embed``)."""
