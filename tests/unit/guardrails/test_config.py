"""The ``guardrails:`` config section: LiteLLM's schema, each type's settings checked at load, one-line errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.guardrails.support import session
from tollway.api.context import RequestContext
from tollway.auth.context import AuthContext
from tollway.config.loader import parse_config
from tollway.errors import ConfigError, InvalidRequestError, PermissionDeniedError
from tollway.guardrails.registry import guardrails_of
from tollway.guardrails.selection import select


def _config(*entries: dict[str, Any]) -> Any:
    return parse_config({"guardrails": list(entries)})


def _entry(name: str, **params: Any) -> dict[str, Any]:
    return {"guardrail_name": name, "litellm_params": params}


def test_litellm_entries_load_with_modes_defaults_and_aliases() -> None:
    config = _config(_entry("a", guardrail="bedrock_guardrails", mode=["pre_call", "post_call"],
                            guardrailIdentifier="gr-1", guardrailVersion="DRAFT", default_on=True),
                     _entry("b", guardrail="presidio", mode="during_call", presidio_analyzer_api_base="http://x"))
    a, b = config.guardrails
    assert a.litellm_params.guardrail == "bedrock" and a.litellm_params.modes == {"pre_call", "post_call"}
    assert b.litellm_params.modes == {"during_call"} and not b.litellm_params.default_on
    assert parse_config({"guardrails": None}).guardrails == []


@pytest.mark.parametrize(("entry", "message"), [
    (_entry("x", guardrail="lakera_prompt_injection"), "unknown guardrail 'lakera_prompt_injection'"),
    (_entry("x", guardrail="pii", mode="pre_flight"), "unknown mode 'pre_flight'"),
    (_entry("x", guardrail="pii", entities=["SHOE_SIZE"]), "unknown entity 'SHOE_SIZE'"),
    (_entry("x", guardrail="regex", patterns=["(unclosed"]), "invalid pattern"),
    (_entry("x", guardrail="keywords"), "give 'keywords' or 'patterns'"),
    (_entry("x", guardrail="limits"), "set at least one of"),
    (_entry("x", guardrail="bedrock"), "guardrailIdentifier"),
    (_entry("x", guardrail="presidio"), "presidio_analyzer_api_base"),
    (_entry("x", guardrail="prompt_injection", threshold=3), "threshold"),
])
def test_mistakes_are_one_line_config_errors(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="guardrails") as caught:
        _config(entry)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ConfigError, match="'twice' is used twice"):
        _config(_entry("twice", guardrail="pii"), _entry("twice", guardrail="phi"))


def test_selection_merges_levels_and_refuses_switching_off_mandatory_ones() -> None:
    config = _config(_entry("d", guardrail="pii", default_on=True), _entry("m", guardrail="phi", mandatory=True),
                     _entry("t", guardrail="pii"), _entry("k", guardrail="pii"), _entry("r", guardrail="pii"))
    guards = guardrails_of(config.guardrails)
    assert guardrails_of(config.guardrails) is guards  # built once per config
    auth = AuthContext(kind="virtual_key", metadata={"guardrails": ["k"], "team_guardrails": ["t"],
                                                      "disable_guardrails": ["d", "m"]})
    ctx = RequestContext(request_id="r1")
    ctx.extra["request_guardrails"] = {"guardrails": ["r"]}
    assert [g.name for g in select(guards, auth, ctx, {})] == ["m", "t", "k", "r"]
    assert [g.name for g in select(guards, AuthContext(kind="master_key"), RequestContext(request_id="r2"),
                                   {"metadata": {"guardrails": {"d": False}}})] == ["m"]
    for off in ({"guardrails": {"m": False}}, {"disable_guardrails": ["t"]}):
        ctx.extra["request_guardrails"] = off
        with pytest.raises(PermissionDeniedError):
            select(guards, auth, ctx, {})
    ctx.extra["request_guardrails"] = {"guardrails": "r"}
    with pytest.raises(InvalidRequestError, match="must be a list"):
        select(guards, auth, ctx, {})


def test_placeholders_are_typed_numbered_and_consistent() -> None:
    state = session()
    assert state.placeholder("EMAIL", "a@b.co") == "[EMAIL_1]"
    assert state.placeholder("EMAIL", "c@d.co") == "[EMAIL_2]"
    assert state.placeholder("EMAIL", "a@b.co") == "[EMAIL_1]" and state.placeholder("PHONE", "1") == "[PHONE_1]"
    assert state.originals == {"[EMAIL_1]": "a@b.co", "[EMAIL_2]": "c@d.co", "[PHONE_1]": "1"}
