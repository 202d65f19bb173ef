"""Token estimates without a tokenizer: close to BPE counts for English text and code.

Used where no provider count exists (the mock provider, pre-call checks). Budgets use a
separate, deliberately pessimistic bound.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.types.chat import ChatRequest

_PIECES = re.compile(r"[A-Za-z]+|\d{1,3}|[^\sA-Za-z\d]", re.UNICODE)
#: per-message framing tokens and the tokens priming the reply (OpenAI's published rule of thumb)
PER_MESSAGE = 3
REPLY_PRIMING = 3


def estimate_text(text: str) -> int:
    """About one token per short word, one per 4 letters of a long word, one per symbol."""
    count = 0
    for piece in _PIECES.findall(text):
        count += 1 if len(piece) <= 6 else (len(piece) + 3) // 4
    return count


def message_text(content: Any) -> str:
    """The text of a message's content, whichever shape it has."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        text = getattr(part, "text", None) if not isinstance(part, dict) else part.get("text")
        if text:
            parts.append(text)
    return " ".join(parts)


def estimate_prompt(request: ChatRequest) -> int:
    total = REPLY_PRIMING
    for message in request.messages:
        total += PER_MESSAGE + estimate_text(message_text(message.content))
        for call in getattr(message, "tool_calls", None) or []:
            total += estimate_text(call.function.name) + estimate_text(call.function.arguments)
    for tool in request.tools or []:
        total += estimate_text(tool.function.name) + estimate_text(str(tool.function.parameters or ""))
    return total
