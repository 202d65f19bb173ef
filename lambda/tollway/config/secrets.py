"""Secret references in config values, resolved lazily and cached.

``os.environ/NAME`` reads the environment; ``secretsmanager/SECRET_ID[#json-key]`` reads
AWS Secrets Manager (through powertools parameters, cached for ``max_age`` seconds). Any
other string is a literal. Nothing is resolved at import or load time, and resolved values
never appear in errors or logs.
"""

from __future__ import annotations

import asyncio
import json
import os

from tollway.errors import InternalError

ENV_PREFIX = "os.environ/"
SM_PREFIX = "secretsmanager/"
DEFAULT_MAX_AGE = 300


def is_reference(value: str | None) -> bool:
    return bool(value) and (value.startswith(ENV_PREFIX) or value.startswith(SM_PREFIX))  # type: ignore[union-attr]


def resolve(value: str | None, *, max_age: int = DEFAULT_MAX_AGE) -> str | None:
    """Resolve one config value (blocking for Secrets Manager; see ``aresolve``)."""
    if not value:
        return value
    if value.startswith(ENV_PREFIX):
        return os.environ.get(value[len(ENV_PREFIX):]) or None
    if value.startswith(SM_PREFIX):
        return _from_secrets_manager(value[len(SM_PREFIX):], max_age)
    return value


async def aresolve(value: str | None, *, max_age: int = DEFAULT_MAX_AGE) -> str | None:
    """``resolve`` that keeps the event loop free while Secrets Manager answers."""
    if value and value.startswith(SM_PREFIX):
        return await asyncio.to_thread(resolve, value, max_age=max_age)
    return resolve(value)


def _from_secrets_manager(reference: str, max_age: int) -> str:
    secret_id, _, json_key = reference.partition("#")
    from aws_lambda_powertools.utilities import parameters

    try:
        raw = parameters.get_secret(secret_id, max_age=max_age)
    except Exception as exc:  # noqa: BLE001 - any failure here is the gateway's, reported without detail
        raise InternalError(f"secret '{secret_id}' could not be read ({type(exc).__name__})") from None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    if not json_key:
        return text
    try:
        value = json.loads(text)[json_key]
    except (ValueError, KeyError, TypeError):
        raise InternalError(f"secret '{secret_id}' has no JSON key '{json_key}'") from None
    return str(value)
