"""``tollway.client``: the official OpenAI SDK signing with SigV4, checked server-side.

A stand-in for API Gateway's IAM auth verifies each request's signature with botocore and
the same credentials (recomputing it from the received method, path, query, signed headers
and body), then forwards it to a real gateway with the caller's ARN in the request context
header, as the Lambda Web Adapter would deliver it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

import httpx
import openai
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import MASTER_KEY
from tests.support.servers import serve_app
from tollway.client import SigV4Signer, sdk_flavour, sigv4_auth, sigv4_http_client

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-1")
ARN = "arn:aws:sts::555555555555:assumed-role/signed-app/session"
REGION = "eu-west-1"


def verify(request: Request, body: bytes, credentials: Credentials) -> bool:
    """API Gateway's check: recompute the SigV4 signature from what arrived."""
    authorization = request.headers.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return False
    parts = dict(p.strip().split("=", 1) for p in authorization[len("AWS4-HMAC-SHA256 "):].split(","))
    signed = parts["SignedHeaders"].split(";")
    if "host" not in signed or parts["Credential"].split("/")[0] != credentials.access_key:
        return False
    url = str(request.url)
    received = AWSRequest(method=request.method, url=url, data=body,
                          headers={name: request.headers[name] for name in signed})
    if credentials.token and "x-amz-security-token" not in signed:
        return False
    received.context["timestamp"] = request.headers["x-amz-date"]
    signer = SigV4Auth(credentials, "execute-api", REGION)
    expected = signer.signature(signer.string_to_sign(received, signer.canonical_request(received)), received)
    return hmac.compare_digest(expected, parts["Signature"])


def fake_api_gateway(upstream: str) -> Starlette:
    async def handle(request: Request) -> Response:
        body = await request.body()
        if not verify(request, body, CREDENTIALS):
            return JSONResponse({"message": "The request signature we calculated does not match."}, 403)
        headers = {k: v for k, v in request.headers.items()
                   if k not in ("authorization", "host", "content-length", "x-amz-date", "x-amz-security-token")}
        headers["x-amzn-request-context"] = json.dumps({"identity": {"userArn": ARN}, "requestId": "gw-1"})
        async with httpx.AsyncClient() as client:
            path = request.url.path.removeprefix("/prod")  # API Gateway strips the stage
            answer = await client.request(request.method, f"{upstream}{path}", content=body, headers=headers,
                                          params=request.query_params)
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


@pytest.fixture
def signed_setup(start_gateway, table_prefix, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tollway-fn")
    monkeypatch.setenv("TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "true")
    gateway = start_gateway({"model_list": [{"model_name": "gpt-4o-mini",
                                             "litellm_params": {"model": "mock/gpt-4o-mini"}}]})
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {MASTER_KEY}"}) as admin:
        assert admin.post("/team/new", json={"team_id": "signed"}).status_code in (200, 409)
        assert admin.post("/iam/principal/new", json={"principal_arn": "arn:aws:iam::555555555555:role/signed-app",
                                                      "team_id": "signed"}).status_code in (200, 409)
    proxy = serve_app(fake_api_gateway(gateway.url))
    yield f"{proxy.url}/prod/v1"
    proxy.stop()


def test_openai_sdk_sync_signed(signed_setup) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=signed_setup, api_key="iam", max_retries=0,
                           http_client=sigv4_http_client(credentials=CREDENTIALS, region=REGION))
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "signed"}])
    assert "signed" in (answer.choices[0].message.content or "")
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]


def test_openai_sdk_async_signed(signed_setup) -> None:  # type: ignore[no-untyped-def]
    async def main() -> Any:
        client = openai.AsyncOpenAI(base_url=signed_setup, api_key="iam", max_retries=0,
                                    http_client=sigv4_http_client(asynchronous=True, credentials=CREDENTIALS,
                                                                  region=REGION))
        return await client.chat.completions.create(model="gpt-4o-mini",
                                                    messages=[{"role": "user", "content": "async signed"}])

    assert "async signed" in (asyncio.run(main()).choices[0].message.content or "")


def test_wrong_credentials_are_rejected(signed_setup) -> None:  # type: ignore[no-untyped-def]
    wrong = Credentials("AKIDEXAMPLE", "not-the-secret", "session-token-1")
    client = openai.OpenAI(base_url=signed_setup, api_key="iam", max_retries=0,
                           http_client=sigv4_http_client(credentials=wrong, region=REGION))
    with pytest.raises(openai.PermissionDeniedError):
        client.models.list()


def test_plain_httpx_flavour_signs_too(signed_setup) -> None:  # type: ignore[no-untyped-def]
    signer = SigV4Signer(credentials=CREDENTIALS, region=REGION)
    with httpx.Client(auth=sigv4_auth(signer, flavour="httpx")) as client:
        answer = client.post(f"{signed_setup}/chat/completions?x=1", json={
            "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "plain"}]})
    assert answer.status_code == 200, answer.text
    assert sdk_flavour() in ("httpx", "httpx2")
