"""Tollway: a serverless, OpenAI-compatible LLM gateway for AWS.

``tollway.completion()``, ``acompletion()``, ``embedding()`` and ``aembedding()`` call any
provider without a server (see ``tollway.sdk``); they are imported on first use, so
importing the package (or the Lambda handler) stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_SDK = frozenset({"completion", "acompletion", "embedding", "aembedding"})


def __getattr__(name: str) -> Any:
    if name in _SDK:
        from tollway import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'tollway' has no attribute {name!r}")
