"""``GET /guardrails/list``: the configured guardrails, their modes and defaults (LiteLLM's path and shape).

Type-specific settings are not listed (they name internal endpoints); any authenticated caller may read it,
so a developer can see which guardrails to switch on per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tollway.api.deps import caller
from tollway.api.routing import Router

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router(tags=["guardrails"])


@router.get("/guardrails/list")
@router.get("/v1/guardrails/list", include_in_schema=False)
async def guardrails_list(request: Request) -> JSONResponse:
    gateway, _, _ = await caller(request)
    listed = []
    for entry in gateway.config.guardrails:
        p = entry.litellm_params
        listed.append({
            "guardrail_name": entry.guardrail_name,
            "litellm_params": {"guardrail": p.guardrail, "mode": p.mode, "default_on": p.default_on,
                               "mandatory": p.mandatory},
            "guardrail_info": entry.guardrail_info or {},
        })
    return JSONResponse({"guardrails": listed})
