"""``GET /credentials`` and ``GET /credentials/by_name/{name}``: the config's ``credential_list`` (LiteLLM's
paths and shape, as its ``litellm-proxy credentials`` client reads them).

Names and ``credential_info`` only: ``credential_values`` is always empty, so no secret (nor a reference
naming where one lives) leaves the gateway. Readers of everything (``proxy_admin``, ``proxy_admin_viewer``)
only. Credentials come from the config file; creating or deleting them over HTTP is not offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse

from tollway.api.deps import caller
from tollway.api.routing import Router
from tollway.errors import NotFoundError
from tollway.identity import rbac

if TYPE_CHECKING:
    from starlette.requests import Request

    from tollway.config.credentials import CredentialItem

router = Router(tags=["credentials"])


def _shown(item: CredentialItem) -> dict[str, Any]:
    return {"credential_name": item.credential_name, "credential_values": {},
            "credential_info": item.credential_info}


@router.get("/credentials")
async def credentials_list(request: Request) -> JSONResponse:
    gateway, auth, _ = await caller(request)
    rbac.require_reader(auth, "list credentials")
    return JSONResponse({"success": True, "credentials": [_shown(c) for c in gateway.config.credential_list]})


@router.get("/credentials/by_name/{name:path}")
async def credential_by_name(request: Request) -> JSONResponse:
    name = str(request.path_params["name"])
    gateway, auth, _ = await caller(request)
    rbac.require_reader(auth, "read credentials")
    for item in gateway.config.credential_list:
        if item.credential_name == name:
            return JSONResponse(_shown(item))
    raise NotFoundError(f"Credential '{name}' does not exist.", param="credential_name", code="credential_not_found")
