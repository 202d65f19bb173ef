"""Strictly alternating user/assistant turns, for providers that require them (Anthropic, Bedrock).

OpenAI-shaped conversations may hold consecutive same-role messages and ``tool`` messages;
these providers want one ``user`` turn (tool results included) then one ``assistant`` turn.
"""

from __future__ import annotations

from typing import Any

from tollway.errors import InvalidRequestError

#: canonical role -> the provider turn it belongs to ("system" goes to the top-level system prompt)
TURN_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "user"}


def turn_role(role: str, index: int, provider: str) -> str:
    try:
        return TURN_ROLES[role]
    except KeyError:
        raise InvalidRequestError(
            f"messages[{index}]: role '{role}' is not supported by {provider}; use tools and tool messages",
            param=f"messages[{index}].role",
        ) from None


def append_turn(turns: list[dict[str, Any]], role: str, blocks: list[Any]) -> None:
    """Add ``blocks`` as a turn, merged into the previous one when it has the same role."""
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})
