"""``reasoning_effort`` mapped to providers' thinking budgets (tokens)."""

from __future__ import annotations

#: Anthropic/Bedrock ``thinking.budget_tokens`` and Gemini ``thinkingBudget`` per effort
THINKING_BUDGETS: dict[str, int] = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}


#: providers whose request builders raise a caller's output limit to fit Anthropic's thinking
#: (``max_tokens > budget_tokens >= 1024``) when ``reasoning_effort`` is set: metering reserves at least
#: ``THINKING_OUTPUT_FLOOR`` output tokens for such a call
THINKING_RAISES_OUTPUT = frozenset({"anthropic", "bedrock", "vertex_ai"})
THINKING_OUTPUT_FLOOR = min(THINKING_BUDGETS.values()) + 1


def thinking_budget(effort: str | None) -> int | None:
    return THINKING_BUDGETS.get(effort) if effort else None
