"""``credential_list``: named sets of deployment settings (LiteLLM's), shared by reference.

A deployment naming one in ``litellm_params.litellm_credential_name`` gets (``Config._named_credentials``)
each of its ``credential_values`` (``api_key``, ``api_base``, ``api_version``, ``aws_region_name`` ...) that it does
not set itself, as LiteLLM does. Values stay as written (secret references such as
``os.environ/...`` or ``secretsmanager/...`` resolve when used, like any other key); only the names
and ``credential_info`` are ever shown (``GET /credentials``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: the ``litellm_params`` key naming a credential
CREDENTIAL_KEY = "litellm_credential_name"


class CredentialItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    credential_name: str
    credential_values: dict[str, Any] = Field(default_factory=dict)
    credential_info: dict[str, Any] = Field(default_factory=dict)

    @field_validator("credential_name")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


def check_unique_credentials(items: list[CredentialItem]) -> list[CredentialItem]:
    seen: set[str] = set()
    for item in items:
        if item.credential_name in seen:
            raise ValueError(f"credential_name '{item.credential_name}' is defined twice")
        seen.add(item.credential_name)
    return items
