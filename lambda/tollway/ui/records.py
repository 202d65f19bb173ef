"""Request bodies of the UI's own endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(default="", max_length=512)
