"""OpenAI's legacy completions: ``prompt`` (a string or strings), ``choices[].text`` in answers and chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tollway.views.base import TextPart, View, clamp_field, get, listed


class CompletionRequestView(View):
    name = "openai.completions.request"

    def parts(self, obj: Any) -> Iterator[TextPart]:
        prompt = get(obj, "prompt")
        if isinstance(prompt, str):
            yield TextPart(("prompt",), "user", prompt)
        for i, item in enumerate(listed(prompt)):
            if isinstance(item, str):
                yield TextPart(("prompt", i), "user", item)

    def message_count(self, obj: Any) -> int:
        prompt = get(obj, "prompt")
        return len(prompt) if isinstance(prompt, list) else 1

    def clamp_output(self, obj: Any, cap: int) -> bool:
        return clamp_field(obj, ("max_tokens",), cap, default_name="max_tokens")


class CompletionResponseView(View):
    """``choices[].text``, in whole answers (``text``) or stream chunks (``delta``)."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self._kind = name, kind

    def parts(self, obj: Any) -> Iterator[TextPart]:
        for i, choice in enumerate(listed(get(obj, "choices"))):
            text = get(choice, "text")
            index = get(choice, "index")
            if isinstance(text, str) and (text or self._kind == "text"):
                yield TextPart(("choices", i, "text"), "assistant", text,
                               index if isinstance(index, int) else i, self._kind)  # type: ignore[arg-type]


REQUEST = CompletionRequestView()
RESPONSE = CompletionResponseView("openai.completions.response", "text")
CHUNK = CompletionResponseView("openai.completions.chunk", "delta")
