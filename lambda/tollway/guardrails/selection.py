"""Which guardrails run for a request: the config's ``default_on``, the team's, the key's and the request's.

A request names guardrails in its body or ``metadata`` as ``guardrails: [name, ...]`` (on) or
``{name: true|false}`` (on/off), and may list ``disable_guardrails: [name, ...]``; a key may list
``metadata.disable_guardrails``. Only the config's ``default_on`` ones can be switched off: what the config
marks ``mandatory``, what the caller's team attaches and what its key attaches cannot (a request asking to is
a 403 ``guardrail_mandatory``; which guardrails a key carries is an admin's business, see
``identity.controls``). Naming a guardrail the config does not
define is a 400 (``guardrail_not_found``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError, PermissionDeniedError
from tollway.views.base import get, set_at

if TYPE_CHECKING:
    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.guardrails.base import Guardrail

#: where the front door leaves the request's own guardrail fields (read from the raw body)
REQUEST_FIELDS = "request_guardrails"


def requested(ctx: RequestContext, obj: Any) -> tuple[list[str], list[str]]:
    """The names a request switches on and off (body fields, then ``metadata``)."""
    on: list[str] = []
    off: list[str] = []
    sources = [ctx.extra.get(REQUEST_FIELDS) or {}, get(obj, "metadata")]
    for source in sources:
        if not isinstance(source, dict):
            continue
        _toggle(source.get("guardrails"), on, off, param="guardrails")
        _toggle(source.get("disable_guardrails"), off, off, param="disable_guardrails")
    strip(obj)
    return on, off


def strip(obj: Any) -> None:
    """Take the gateway's own keys out of the request's ``metadata``: they are not the upstream's business
    (OpenAI only accepts string values there)."""
    metadata = get(obj, "metadata")
    if not isinstance(metadata, dict) or not ({"guardrails", "disable_guardrails"} & metadata.keys()):
        return
    kept = {k: v for k, v in metadata.items() if k not in ("guardrails", "disable_guardrails")}
    if isinstance(obj, dict):
        if kept:
            obj["metadata"] = kept
        else:
            obj.pop("metadata", None)
    else:
        set_at(obj, ("metadata",), kept or None)


def _toggle(value: Any, on: list[str], off: list[str], *, param: str) -> None:
    if value is None:
        return
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        on.extend(value)
    elif isinstance(value, dict) and all(isinstance(v, bool) for v in value.values()):
        on.extend(k for k, v in value.items() if v)
        off.extend(k for k, v in value.items() if not v)
    else:
        raise InvalidRequestError(f"'{param}' must be a list of guardrail names (or {{name: true|false}}).",
                                  param=param)


def select(guardrails: dict[str, Guardrail], auth: AuthContext, ctx: RequestContext, obj: Any) -> list[Guardrail]:
    """The guardrails that apply, in config order (400/403 for a request naming one wrongly)."""
    on, off = requested(ctx, obj)
    meta = auth.metadata
    team = _names(meta.get("team_guardrails"))
    key = _names(meta.get("guardrails"))
    key_off = _names(meta.get("disable_guardrails"))
    for name in (*on, *off):
        if name not in guardrails:
            raise InvalidRequestError(f"No guardrail named '{name}' is configured.", param="guardrails",
                                      code="guardrail_not_found")
    for name in (*team, *key):
        if name not in guardrails:
            raise InvalidRequestError(f"This key's {'team' if name in team else 'key'} names the guardrail "
                                      f"'{name}', which is not configured.", code="guardrail_not_found")
    mandatory = {n for n, g in guardrails.items() if g.mandatory} | set(team)
    attached = mandatory | set(key)  # what an admin attached to this key is not the request's to drop
    refused = [n for n in off if n in attached]
    if refused:
        raise PermissionDeniedError(f"The guardrail '{refused[0]}' is required for this key and cannot be disabled.",
                                    param="guardrails", code="guardrail_mandatory")
    active = {n for n, g in guardrails.items() if g.default_on or g.mandatory} | set(team) | set(key) | set(on)
    active -= (set(off) | set(key_off)) - attached
    return [g for n, g in guardrails.items() if n in active]


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return [k for k, v in value.items() if v]
    return []
