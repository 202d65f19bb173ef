"""OpenAI embeddings: ``input`` as a string or a list of strings (token-id inputs have no text)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tollway.views.base import TextPart, View, get


class EmbeddingRequestView(View):
    name = "openai.embeddings.request"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        value = get(obj, "input")
        if isinstance(value, str):
            yield TextPart(("input",), "user", value)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield TextPart(("input", i), "user", item)

    def message_count(self, obj: Any) -> int:
        value = get(obj, "input")
        return len(value) if isinstance(value, list) else 1

    def clamp_output(self, obj: Any, cap: int) -> bool:
        return False


REQUEST = EmbeddingRequestView()
