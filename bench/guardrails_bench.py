"""Added CPU per request of the built-in guardrails on a 4k-token prompt (target: <= 1 ms p50).

In-process micro-benchmark: the pipeline's guardrail calls (``pre_call`` with selection, PII masking over
every entity, prompt-injection scoring, keywords, a regex, limits; then ``post_call`` with keywords, limits
and the restore of placeholders in a ~300-token answer) on canonical objects, timed with the process CPU
clock over many requests after a warm-up. No network and no upstream: the figure is what the guardrails add,
not a request's latency. (``phi`` is the same detector family as ``pii``; a config runs one or the other.)

    python bench/guardrails_bench.py        # prints JSON; bench/run.py --only guardrails records it
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import time
from typing import Any

#: prose with the odd number, id and date (what real prompts look like), a few PII values to mask
PARAGRAPH = ("Our quarterly review covered the rollout of release 2.14.0 to 1,284 customers across 12 regions, "
             "the support backlog (order ORD-2024-558812 and ticket 40021 among them), the migration finished on "
             "2024-03-15 at 10:22 UTC, and the plan for next quarter, which keeps the budget flat while the team "
             "grows by two engineers and the on-call rota moves to a follow-the-sun model. ")
PII = " Please send the summary to dana.whitfield@example.com or call +1 415 555 0100 before Friday. "
GUARDRAILS = [
    {"guardrail_name": "pii", "litellm_params": {"guardrail": "pii", "mode": "pre_call", "default_on": True,
                                                 "output_parse_pii": True}},
    {"guardrail_name": "injection", "litellm_params": {"guardrail": "prompt_injection", "mode": "pre_call",
                                                       "default_on": True}},
    {"guardrail_name": "words", "litellm_params": {"guardrail": "keywords", "mode": ["pre_call", "post_call"],
                                                   "default_on": True,
                                                   "keywords": ["project falcon", "codename zephyr", "internal only"]}},
    {"guardrail_name": "patterns", "litellm_params": {"guardrail": "regex", "mode": "pre_call", "default_on": True,
                                                      "patterns": [{"name": "employee_id", "pattern": r"\bEMP-\d{6}\b"}]}},
    {"guardrail_name": "limits", "litellm_params": {"guardrail": "limits", "mode": ["pre_call", "post_call"],
                                                    "default_on": True, "max_input_tokens": 8000,
                                                    "max_output_tokens": 1000, "max_messages": 50,
                                                    "max_request_bytes": 200000, "max_response_chars": 20000}},
]


def prompt(tokens: int = 4000) -> str:
    from tollway.tokens import estimate_text

    text = ""
    while estimate_text(text) < tokens:
        text += PARAGRAPH
    return text[: len(text) // 2] + PII + text[len(text) // 2:]


def run(requests: int = 300, warmup: int = 30) -> dict[str, Any]:
    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.config.loader import parse_config
    from tollway.guardrails import hooks
    from tollway.tokens import estimate_text
    from tollway.types.chat import ChatRequest, ChatResponse
    from tollway.views import canonical

    config = parse_config({"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}],
                           "guardrails": GUARDRAILS})

    class _Gateway:  # what pre_call reads from the gateway
        def __init__(self) -> None:
            self.config, self.identity = config, None

    gateway: Any = _Gateway()
    auth = AuthContext(kind="virtual_key", team_id="bench")
    text = prompt()
    answer = "Summary for [EMAIL_1]: " + PARAGRAPH * 3

    digit_scan = re.compile(r"\d")

    async def one() -> tuple[int, int]:
        request = ChatRequest.model_validate({"model": "m", "messages": [
            {"role": "system", "content": "You are a helpful analyst."}, {"role": "user", "content": text}]})
        response = ChatResponse.model_validate({"id": "r", "created": 1, "model": "m", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": answer}}]})
        ctx = RequestContext(request_id="bench")
        started = time.process_time_ns()
        guard = await hooks.pre_call(gateway, auth, ctx, request, canonical.CHAT_REQUEST)
        await guard.post_call(response, canonical.CHAT_RESPONSE, settle=_settle)
        spent = time.process_time_ns() - started
        assert "[EMAIL_1]" in request.messages[1].content and "dana.whitfield" in str(response.choices[0].message.content)
        started = time.process_time_ns()
        digit_scan.findall(text)  # this machine's speed, measured alongside: one trivial regex pass
        return spent, time.process_time_ns() - started

    async def main() -> list[tuple[int, int]]:
        for _ in range(warmup):
            await one()
        return [await one() for _ in range(requests)]

    pairs = asyncio.run(main())
    ms = sorted(p[0] / 1e6 for p in pairs)
    one_pass = statistics.median(p[1] / 1e6 for p in pairs)
    return {"prompt_tokens": estimate_text(text), "prompt_chars": len(text), "requests": requests,
            "guardrails": [g["guardrail_name"] for g in GUARDRAILS],
            "cpu_ms_p50": round(statistics.median(ms), 3), "cpu_ms_p95": round(_rank(ms, 0.95), 3),
            "cpu_ms_p99": round(_rank(ms, 0.99), 3), "cpu_ms_mean": round(statistics.fmean(ms), 3),
            "target_p50_ms": 1.0,
            # this machine's speed: CPU ms of one trivial regex pass (\d) over the same prompt
            "reference_regex_pass_ms": round(one_pass, 3),
            # each request against the pass measured right after it, so a machine whose load changes during the
            # run still gives a comparable figure
            "cpu_in_regex_passes_p50": round(statistics.median(p[0] / p[1] for p in pairs if p[1]), 1),
            "loadavg": [round(x, 2) for x in os.getloadavg()],
            "meets_target": statistics.median(ms) <= 1.0}


def run_stream(answers: int = 20) -> dict[str, Any]:
    """CPU of the sliding window over a streamed ~2k-token answer in 4-character chunks (pii block and
    keywords on post_call, the defaults for window and hold-back)."""
    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.config.loader import parse_config
    from tollway.guardrails.base import Session
    from tollway.guardrails.registry import build
    from tollway.guardrails.stream import StreamGuard
    from tollway.views import openai_chat

    config = parse_config({"guardrails": [
        {"guardrail_name": "pii", "litellm_params": {"guardrail": "pii", "mode": "post_call", "action": "block"}},
        {"guardrail_name": "words", "litellm_params": {"guardrail": "keywords", "mode": "post_call",
                                                       "keywords": ["project falcon", "codename zephyr"]}}]})
    guards = list(build(config.guardrails).values())
    text = prompt(2000).replace(PII, " ")
    pieces = [text[i:i + 4] for i in range(0, len(text), 4)]

    async def one() -> int:
        stream = StreamGuard(guards, openai_chat.CHUNK, Session(auth=AuthContext(kind="virtual_key"),
                                                                ctx=RequestContext(request_id="bench")))
        started = time.process_time_ns()
        for piece in pieces:
            await stream.push({"choices": [{"index": 0, "delta": {"content": piece}}]})
        await stream.finish()
        return time.process_time_ns() - started

    async def main() -> list[int]:
        return [await one() for _ in range(answers)]

    ms = sorted(s / 1e6 for s in asyncio.run(main()))
    return {"answer_chars": len(text), "chunks": len(pieces), "cpu_ms_per_answer_p50": round(statistics.median(ms), 2),
            "cpu_us_per_chunk_p50": round(statistics.median(ms) * 1000 / len(pieces), 1)}


def _rank(ordered: list[float], quantile: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))]


async def _settle(**_: Any) -> None:
    return None


if __name__ == "__main__":
    print(json.dumps({**run(), "stream": run_stream()}, indent=1))
