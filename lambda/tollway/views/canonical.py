"""The canonical typed objects (``tollway.types``): the views the translated path hands to guardrails.

``ChatRequest``, ``ChatResponse`` and ``ChatChunk`` mirror OpenAI's Chat Completions shapes, so they are
read by the OpenAI chat views; ``EmbeddingRequest`` by the embeddings view.
"""

from __future__ import annotations

from tollway.views.embeddings import REQUEST as EMBEDDING_REQUEST
from tollway.views.openai_chat import CHUNK as CHAT_CHUNK
from tollway.views.openai_chat import REQUEST as CHAT_REQUEST
from tollway.views.openai_chat import RESPONSE as CHAT_RESPONSE

__all__ = ["CHAT_CHUNK", "CHAT_REQUEST", "CHAT_RESPONSE", "EMBEDDING_REQUEST"]
