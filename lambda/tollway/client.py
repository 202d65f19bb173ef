"""Calling a Tollway behind API Gateway IAM auth: SigV4-signed requests for the OpenAI SDK.

    import openai
    from tollway.client import sigv4_http_client

    client = openai.OpenAI(base_url="https://abc.execute-api.us-east-1.amazonaws.com/prod/v1",
                           api_key="iam", http_client=sigv4_http_client(region="us-east-1"))

Every request is signed with botocore's ``SigV4Auth`` for the ``execute-api`` service, with
the default credential chain (or the ``credentials``/``session`` given), after the SDK set
its headers: the ``Authorization: Bearer iam`` placeholder is replaced by the signature. A
virtual key, if any, goes in ``x-tollway-api-key`` (``default_headers``), and is signed too.

The installed OpenAI SDK may build on ``httpx`` or on its fork ``httpx2``; ``sigv4_auth``
returns an auth object for either (``flavour``), and ``sigv4_http_client`` picks the one
the installed ``openai`` uses. Both support sync and async clients. botocore is imported
on first use only.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncGenerator, Generator
from typing import Any

SERVICE = "execute-api"
#: headers that take part in the signature (others may be changed by proxies on the way)
_SIGNED = ("host", "content-type", "x-tollway-api-key")


class SigV4Signer:
    """Signs (method, url, headers, body) with AWS credentials; usable from any HTTP client."""

    def __init__(self, *, region: str | None = None, credentials: Any = None, session: Any = None,
                 service: str = SERVICE) -> None:
        if credentials is None:
            import botocore.session

            credentials = (session or botocore.session.get_session()).get_credentials()
        if credentials is None:
            raise RuntimeError("No AWS credentials found for SigV4 signing.")
        self.credentials = credentials
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.service = service

    def sign(self, method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """The headers to set on the request: ``authorization``, ``x-amz-date`` (and a session token)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        chosen = {name: value for name, value in headers.items() if name.lower() in _SIGNED}
        request = AWSRequest(method=method, url=url, data=body, headers=chosen)
        frozen = self.credentials.get_frozen_credentials() if hasattr(
            self.credentials, "get_frozen_credentials") else self.credentials
        SigV4Auth(frozen, self.service, self.region).add_auth(request)
        return {name.lower(): value for name, value in request.headers.items()
                if name.lower() in ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")}


def _apply(signer: SigV4Signer, request: Any) -> Any:
    headers = {name.lower(): value for name, value in request.headers.items()}
    signed = signer.sign(request.method, str(request.url), headers, bytes(request.content or b""))
    for name, value in signed.items():
        request.headers[name] = value
    return request


def sigv4_auth(signer: SigV4Signer | None = None, *, flavour: str = "httpx", **signer_args: Any) -> Any:
    """An ``Auth`` for ``httpx`` (``flavour="httpx"``) or ``httpx2`` that SigV4-signs each request."""
    module = importlib.import_module(flavour)
    chosen = signer or SigV4Signer(**signer_args)

    class _SigV4Auth(module.Auth):  # type: ignore[misc,name-defined]
        requires_request_body = True

        def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]:
            request.read()
            yield _apply(chosen, request)

        async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
            await request.aread()
            yield _apply(chosen, request)

    return _SigV4Auth()


def sdk_flavour() -> str:
    """``httpx2`` or ``httpx``: the HTTP library the installed ``openai`` package builds on."""
    base = importlib.import_module("openai._base_client")
    return "httpx2" if "httpx2" in vars(base) else "httpx"


def sigv4_http_client(*, asynchronous: bool = False, signer: SigV4Signer | None = None,
                      flavour: str | None = None, **signer_args: Any) -> Any:
    """A (Async)Client of the OpenAI SDK's HTTP library that signs every request.

    ``signer_args`` (``region``, ``credentials``, ``session``, ``service``) configure the signer.
    """
    chosen = flavour or sdk_flavour()
    module = importlib.import_module(chosen)
    auth = sigv4_auth(signer, flavour=chosen, **signer_args)
    return module.AsyncClient(auth=auth) if asynchronous else module.Client(auth=auth)
