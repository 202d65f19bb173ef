"""Claude on Bedrock, same wire: InvokeModel / InvokeModelWithResponseStream with the Messages API body.

The client's body goes as sent, except what Bedrock wants differently: no ``model`` (it is the
``modelId``) and no ``stream`` (the operation says it), ``anthropic_version: bedrock-2023-05-31``,
and beta flags (the ``anthropic-beta`` header and the deployment's ``anthropic_beta``) as the
body's ``anthropic_beta`` list. Each stream part's ``bytes`` is one Anthropic event, relayed as
an SSE event of that name. CountTokens counts with the same body.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tollway.errors import UpstreamError
from tollway.passthrough.readers import AnthropicStream, body_usage, event_type
from tollway.passthrough.sse import frame

if TYPE_CHECKING:
    from tollway.passthrough.wire import WireRequest

BEDROCK_VERSION = "bedrock-2023-05-31"


def native_body(request: WireRequest, deployment_betas: object) -> bytes:
    from tollway.providers.anthropic.adapter import merge_betas

    body = {k: v for k, v in request.body.items() if k not in ("model", "stream")}
    body["anthropic_version"] = BEDROCK_VERSION
    betas = merge_betas(request.headers.get("anthropic-beta"), body.get("anthropic_beta"), deployment_betas)
    if betas:
        body["anthropic_beta"] = betas
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def read_body(request: WireRequest, output: Any) -> tuple[bytes, dict[str, Any], Any]:
    """(content, parsed, usage) of an InvokeModel answer (``output["body"]`` already read into bytes)."""
    content = output if isinstance(output, bytes) else bytes(output)
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UpstreamError("bedrock: the upstream answered with invalid JSON")
    return content, data, body_usage(request.format, data)


class EventReader:
    """InvokeModelWithResponseStream parts -> native SSE events (only usage events are parsed)."""

    def __init__(self) -> None:
        self.stream = AnthropicStream("bedrock")

    def read(self, part: dict[str, Any]) -> Any:
        chunk = part.get("chunk")
        if not isinstance(chunk, dict) or not isinstance(chunk.get("bytes"), (bytes, bytearray)):
            return None
        payload = bytes(chunk["bytes"])
        name = event_type(payload)
        return self.stream.read(frame(name, payload), name)
