"""The canonical embeddings model (OpenAI's ``/v1/embeddings`` shapes)."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: OpenAI's limit on the number of inputs in one request
MAX_INPUTS = 2048


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    input: Union[str, list[str], list[int], list[list[int]]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _non_empty(cls, value: Any) -> Any:
        """OpenAI's rules: no empty input (string or array), at most 2048 items in an array."""
        if isinstance(value, list):
            if not value:
                raise ValueError("the input array must not be empty")
            if len(value) > MAX_INPUTS:
                raise ValueError(f"the input array must have at most {MAX_INPUTS} items")
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, (str, list)) and not item for item in items):
            raise ValueError("inputs must not be empty")
        return value

    @property
    def texts(self) -> list[str] | None:
        """The inputs as strings, or None when the caller sent token ids."""
        if isinstance(self.input, str):
            return [self.input]
        if all(isinstance(item, str) for item in self.input):
            return list(self.input)  # type: ignore[arg-type]
        return None


class Embedding(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: Literal["embedding"] = "embedding"
    index: int
    embedding: Union[list[float], str]


class EmbeddingUsage(BaseModel):
    model_config = ConfigDict(extra="allow")

    prompt_tokens: int = 0
    total_tokens: int = 0


class EmbeddingResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage = Field(default_factory=EmbeddingUsage)
