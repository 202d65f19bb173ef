"""``reasoning_effort`` mapped to providers' thinking budgets (tokens)."""

from __future__ import annotations

#: Anthropic/Bedrock ``thinking.budget_tokens`` and Gemini ``thinkingBudget`` per effort
THINKING_BUDGETS: dict[str, int] = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}


def thinking_budget(effort: str | None) -> int | None:
    return THINKING_BUDGETS.get(effort) if effort else None
