"""The sliding window over streamed text and its documented guarantee: a match of at most ``hold_back``
characters never reaches the client, whatever the chunking; a longer one leaks at most
``len(match) - hold_back - 1`` characters; masking and restoring work across chunk boundaries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.unit.guardrails.support import chunk, guard, session
from tollway.guardrails.errors import GuardrailViolation
from tollway.guardrails.stream import StreamGuard
from tollway.views import openai_chat

PREFIX = "Thanks for asking. The person to contact about the renewal is "
EMAIL = "renewals.desk@example.com"
TEXT = PREFIX + EMAIL + " and they answer within a day."


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


async def _run(stream: StreamGuard, pieces: list[str], *, finish: bool = True) -> tuple[str, Exception | None]:
    sent = ""
    try:
        for piece in pieces:
            for event in await stream.push(chunk(piece)):
                sent += "".join(c["delta"].get("content") or "" for c in event["choices"])
        if finish:
            for event in await stream.push({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}):
                sent += "".join(c["delta"].get("content") or "" for c in event["choices"])
            for event in await stream.finish():
                sent += "".join(c["delta"].get("content") or "" for c in event["choices"])
    except GuardrailViolation as exc:
        return sent, exc
    return sent, None


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 40])
@pytest.mark.parametrize("hold", [26, 32, 64])
def test_a_match_within_the_hold_back_never_escapes(size: int, hold: int) -> None:
    blocker = guard("pii", mode="post_call", action="block", entities=["EMAIL_ADDRESS"], stream_hold_back_chars=hold)
    sent, error = asyncio.run(_run(StreamGuard([blocker], openai_chat.CHUNK, session()), _pieces(TEXT, size)))
    assert isinstance(error, GuardrailViolation) and error.category == "EMAIL_ADDRESS"
    assert TEXT.startswith(sent) and len(sent) <= len(PREFIX)
    assert len(sent) >= len(PREFIX) - hold - 2 * size - hold // 2, "text before the match was released as it came"


@pytest.mark.parametrize("size", [1, 4, 9])
@pytest.mark.parametrize("hold", [0, 4, 10])
def test_a_longer_match_leaks_at_most_its_length_minus_the_hold_back(size: int, hold: int) -> None:
    blocker = guard("pii", mode="post_call", action="block", entities=["EMAIL_ADDRESS"], stream_hold_back_chars=hold)
    sent, error = asyncio.run(_run(StreamGuard([blocker], openai_chat.CHUNK, session()), _pieces(TEXT, size)))
    assert error is not None and TEXT.startswith(sent)
    leaked = max(0, len(sent) - len(PREFIX))
    assert leaked <= max(0, len(EMAIL) - hold - 1)


def test_clean_text_passes_through_whole_and_in_order() -> None:
    blocker = guard("pii", mode="post_call", action="block", stream_hold_back_chars=16)
    text = "Nothing to see here, only ordinary prose about the weather in spring. " * 5
    sent, error = asyncio.run(_run(StreamGuard([blocker], openai_chat.CHUNK, session()), _pieces(text, 3)))
    assert error is None and sent == text


def test_masking_on_a_stream_replaces_the_whole_match_across_chunks() -> None:
    masker = guard("pii", mode="post_call", action="mask", entities=["EMAIL_ADDRESS"], stream_hold_back_chars=32)
    sent, error = asyncio.run(_run(StreamGuard([masker], openai_chat.CHUNK, session()), _pieces(TEXT, 2)))
    assert error is None and sent == PREFIX + "[EMAIL_1] and they answer within a day."


@pytest.mark.parametrize("size", [1, 3, 7])
def test_a_match_too_long_to_mask_is_still_recorded(size: int) -> None:
    from tollway.guardrails.record import CONTEXT_KEY

    masker = guard("pii", mode="post_call", action="mask", entities=["EMAIL_ADDRESS"], stream_hold_back_chars=16)
    state = session()
    sent, error = asyncio.run(_run(StreamGuard([masker], openai_chat.CHUNK, state), _pieces(TEXT, size)))
    assert error is None and sent == TEXT  # 25 characters: longer than the hold-back, so it began before a mask
    assert state.ctx.extra[CONTEXT_KEY] == [{"guardrail": masker.name, "category": "EMAIL_ADDRESS", "action": "log",
                                             "stage": "output"}]


def test_placeholders_split_across_chunks_are_restored() -> None:
    restorer = guard("pii", mode="pre_call", output_parse_pii=True)
    state = session()
    state.placeholder("EMAIL", EMAIL)  # made while masking the request
    text = "Write to [EMAIL_1] today; [EMAIL_1] answers fast. [PHONE_9] is not ours."
    for size in (1, 2, 5):
        sent, error = asyncio.run(_run(StreamGuard([restorer], openai_chat.CHUNK, state), _pieces(text, size)))
        assert error is None
        assert sent == text.replace("[EMAIL_1]", EMAIL)


def test_response_character_limit_counts_everything_generated() -> None:
    limit = guard("limits", mode="post_call", max_response_chars=50)
    sent, error = asyncio.run(_run(StreamGuard([limit], openai_chat.CHUNK, session()), _pieces(TEXT, 7)))
    assert isinstance(error, GuardrailViolation) and error.category == "max_response_chars" and len(sent) <= 50


def test_channels_are_windowed_separately() -> None:
    blocker = guard("keywords", mode="post_call", keywords=["secret plan"], stream_hold_back_chars=16)
    stream = StreamGuard([blocker], openai_chat.CHUNK, session())

    async def run() -> None:
        for word in ("the ", "secret ", "garden ", "and ", "a ", "plan"):  # interleaved: never adjacent per choice
            await stream.push(chunk(word, 0))
            await stream.push(chunk("x ", 1))
        await stream.finish()

    asyncio.run(run())
    split: Any = StreamGuard([blocker], openai_chat.CHUNK, session())

    async def run_split() -> None:
        await split.push(chunk("my secr", 1))
        await split.push(chunk("unrelated", 0))
        await split.push(chunk("et plan", 1))
        await split.finish()

    with pytest.raises(GuardrailViolation):
        asyncio.run(run_split())
