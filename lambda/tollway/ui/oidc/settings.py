"""``general_settings.ui_oidc``: the issuer, the client, and how claims map to roles and teams.

```yaml
general_settings:
  ui_oidc:
    issuer: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC
    client_id: 4abc...
    client_secret: secretsmanager/tollway/ui-oidc        # or os.environ/NAME; omit for a public client
    groups_claim: cognito:groups                          # default "groups"
    role_mappings: {tollway-admins: proxy_admin, "@example.com": proxy_admin_viewer}
    team_mappings: {ml-engineers: ml, ml-leads: {team_id: ml, role: admin}}
```

A mapping key is a group name, or ``@domain`` for a verified email domain.

On AWS the stack names a Secrets Manager secret in ``TOLLWAY_UI_OIDC_SECRET`` holding a JSON object with
the same fields (issuer, client id and secret, redirect URI, and for its Cognito pool the group mappings);
the file's values win over the secret's, and ``TOLLWAY_UI_OIDC_ISSUER`` / ``TOLLWAY_UI_OIDC_CLIENT_ID`` /
``TOLLWAY_UI_OIDC_CLIENT_SECRET`` win over both.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tollway.config import secrets
from tollway.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from tollway.gateway import Gateway

MappedRole = Literal["proxy_admin", "proxy_admin_viewer", "team_admin", "internal_user"]


class TeamGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team_id: str = Field(min_length=1)
    role: Literal["admin", "member"] = "member"


class UiOidc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: str | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    groups_claim: str = "groups"
    user_claim: str = "email"
    role_mappings: dict[str, MappedRole] = Field(default_factory=dict)
    team_mappings: dict[str, str | TeamGrant | list[str | TeamGrant]] = Field(default_factory=dict)
    redirect_uri: str | None = None
    session_hours: float = Field(default=8, gt=0, le=24 * 7)

    def grants(self, key: str) -> list[TeamGrant]:
        value = self.team_mappings.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [TeamGrant(team_id=item) if isinstance(item, str) else item for item in items]


async def oidc_settings(gateway: Gateway) -> UiOidc | None:
    """The SSO settings, or None when SSO is not configured; 503 naming the field when they are malformed."""
    raw: dict[str, Any] = {}
    secret_name = os.environ.get("TOLLWAY_UI_OIDC_SECRET")
    if secret_name:
        document = await secrets.aresolve(f"{secrets.SM_PREFIX}{secret_name}")
        try:
            stored = json.loads(document or "{}")
        except ValueError:
            stored = None
        if not isinstance(stored, dict):
            raise _misconfigured(f"the secret {secret_name} must hold a JSON object")
        raw.update({k: v for k, v in stored.items() if v not in (None, "")})
    raw.update((gateway.config.general_settings.model_extra or {}).get("ui_oidc") or {})
    for field, env in (("issuer", "TOLLWAY_UI_OIDC_ISSUER"), ("client_id", "TOLLWAY_UI_OIDC_CLIENT_ID"),
                       ("client_secret", "TOLLWAY_UI_OIDC_CLIENT_SECRET")):
        if os.environ.get(env):
            raw[field] = os.environ[env]
    if not raw.get("issuer"):
        return None
    try:
        return UiOidc.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _misconfigured(f"general_settings.ui_oidc.{where}: {first['msg']}") from None


def _misconfigured(detail: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(f"SSO is misconfigured: {detail}.", code="sso_misconfigured")
