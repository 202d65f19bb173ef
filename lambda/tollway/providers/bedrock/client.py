"""The boto3 ``bedrock-runtime`` (and ``sagemaker-runtime``) clients, created lazily and shared.

One client per (service, region, endpoint, credentials, read timeout): boto3 clients are thread-safe
and pool their connections, so sharing them is both correct and cheap. Nothing here runs at
import; creating a client (which loads the service model from disk) happens in a worker
thread on first use. Credentials come from the default chain (Lambda role, env, profile)
unless ``litellm_params`` names them (``aws_access_key_id`` / ``aws_secret_access_key`` /
``aws_session_token`` / ``aws_profile_name``; values may be secret references). LiteLLM's
``aws_bedrock_runtime_endpoint`` is accepted as an alias of ``api_base`` for Bedrock.
The gateway's router owns retries, so boto3's own retries are off.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tollway.config import secrets

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.config.models import LiteLLMParams

CONNECT_TIMEOUT = 10.0
MAX_POOL_CONNECTIONS = 64
DEFAULT_REGION = "us-east-1"
BEDROCK_RUNTIME = "bedrock-runtime"


@dataclass(frozen=True)
class ClientKey:
    region: str
    endpoint_url: str | None
    read_timeout: float
    profile: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    service: str = BEDROCK_RUNTIME


_clients: dict[ClientKey, Any] = {}
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


async def run_blocking(fn: Callable[[], Any]) -> Any:
    """Run a blocking boto3 call on the Bedrock thread pool.

    A pool of its own (sized like the connection pool) rather than asyncio's default one,
    whose few threads would cap concurrent model calls, which last seconds to minutes.
    """
    global _executor
    if _executor is None:
        with _lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=MAX_POOL_CONNECTIONS, thread_name_prefix="bedrock")
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_executor, functools.partial(context.run, fn))


async def client_key(params: LiteLLMParams, read_timeout: float, service: str = BEDROCK_RUNTIME) -> ClientKey:
    extras = params.model_extra or {}

    async def value(name: str) -> str | None:
        raw = extras.get(name)
        return await secrets.aresolve(str(raw)) if raw else None

    region = (await secrets.aresolve(params.aws_region_name) or await value("aws_region")
              or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION)
    return ClientKey(
        region=region,
        endpoint_url=await secrets.aresolve(params.api_base)
        or (await value("aws_bedrock_runtime_endpoint") if service == BEDROCK_RUNTIME else None),
        read_timeout=read_timeout,
        profile=await value("aws_profile_name"),
        access_key_id=await value("aws_access_key_id"),
        secret_access_key=await value("aws_secret_access_key"),
        session_token=await value("aws_session_token"),
        service=service,
    )


async def get_client(params: LiteLLMParams, read_timeout: float, service: str = BEDROCK_RUNTIME) -> Any:
    """The shared boto3 client of ``service`` for this deployment's settings."""
    key = await client_key(params, read_timeout, service)
    client = _clients.get(key)
    if client is None:
        client = await run_blocking(functools.partial(_create, key))
    return client


def _create(key: ClientKey) -> Any:
    with _lock:
        if key in _clients:
            return _clients[key]
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            aws_access_key_id=key.access_key_id, aws_secret_access_key=key.secret_access_key,
            aws_session_token=key.session_token, profile_name=key.profile,
        )
        config = Config(
            region_name=key.region, connect_timeout=CONNECT_TIMEOUT, read_timeout=key.read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=MAX_POOL_CONNECTIONS,
        )
        client = session.client(key.service, endpoint_url=key.endpoint_url, config=config)
        _clients[key] = client
        return client


def reset_clients() -> None:
    """Forget every client (tests; credential rotation)."""
    with _lock:
        _clients.clear()
