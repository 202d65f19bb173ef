"""The config's say on ``/key/generate``: LiteLLM's ``default_key_generate_params`` and
``upperbound_key_generate_params`` (read from ``litellm_settings``, LiteLLM's place, or ``general_settings``,
which wins when both set one).

- defaults fill the fields a request leaves out (``models``, ``max_budget``, ``duration``, ``team_id`` ...);
- an upper bound caps a field: a request above it is a 400 naming the field, and a request leaving it out
  gets the bound itself (as LiteLLM does: no key escapes the bound by omitting the field). Bounds apply to
  ``max_budget``, ``soft_budget``, ``rpm_limit``, ``tpm_limit``, ``max_parallel_requests`` (numbers) and
  ``duration``, ``budget_duration`` (durations, compared in seconds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from tollway.errors import InternalError, InvalidRequestError
from tollway.identity.keygen import parse_duration

if TYPE_CHECKING:
    from tollway.config.models import Config

B = TypeVar("B", bound=BaseModel)

NUMERIC_BOUNDS = ("max_budget", "soft_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")
DURATION_BOUNDS = ("duration", "budget_duration")
DEFAULTS_KEY = "default_key_generate_params"
UPPER_KEY = "upperbound_key_generate_params"


def configured(config: Config, name: str) -> dict[str, Any]:
    """``name`` from ``litellm_settings`` overlaid with ``general_settings``'s (empty when neither sets it)."""
    out: dict[str, Any] = {}
    for section in (config.litellm_settings, config.general_settings):
        value = (section.model_extra or {}).get(name)
        if isinstance(value, dict):
            out.update(value)
    return out


def apply(body: B, config: Config) -> B:
    """``body`` (a ``/key/generate`` request) with the config's defaults filled in and its upper bounds checked."""
    defaults, upper = configured(config, DEFAULTS_KEY), configured(config, UPPER_KEY)
    if not defaults and not upper:
        return body
    fields = type(body).model_fields
    given = body.model_dump(exclude_none=True)
    filled = {k: v for k, v in defaults.items() if k in fields and given.get(k) is None and v is not None}
    filled.update({k: v for k, v in upper.items()
                   if k in (*NUMERIC_BOUNDS, *DURATION_BOUNDS) and given.get(k) is None and k not in filled})
    merged = {**given, **filled}
    for name, bound in upper.items():
        value = merged.get(name)
        if value is None or bound is None:
            continue
        if name in NUMERIC_BOUNDS and float(value) > _number(name, bound):
            raise _over(name, value, bound)
        if name in DURATION_BOUNDS and parse_duration(str(value), field=name) > _seconds(name, bound):
            raise _over(name, value, bound)
    if not filled:
        return body
    try:
        return type(body).model_validate(merged)
    except ValidationError as exc:
        raise InternalError(f"{DEFAULTS_KEY}/{UPPER_KEY} in the config hold a value /key/generate "
                            f"cannot take ({exc.errors()[0]['loc']})") from None


def _number(name: str, bound: Any) -> float:
    try:
        return float(bound)
    except (TypeError, ValueError):
        raise InternalError(f"{UPPER_KEY}.{name} in the config is not a number") from None


def _seconds(name: str, bound: Any) -> int:
    try:
        return parse_duration(str(bound), field=name)
    except InvalidRequestError:
        raise InternalError(f"{UPPER_KEY}.{name} in the config is not a duration like 30d") from None


def _over(name: str, value: Any, bound: Any) -> InvalidRequestError:
    return InvalidRequestError(
        f"{name} is over max limit set in config - user_value={value}; max_value={bound}", param=name,
        code="over_upperbound_key_generate_params")
