"""``default_key_generate_params`` and ``upperbound_key_generate_params`` on ``/key/generate`` (admin API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.identity.conftest import MODELS, Admin


@pytest.fixture
def admin(start_gateway: Callable[..., Any], table_prefix: str) -> Admin:
    gateway = start_gateway({
        **MODELS,
        "litellm_settings": {
            "default_key_generate_params": {"max_budget": 1.5, "models": ["gpt-4o-mini"], "duration": None,
                                            "metadata": {"setting": "default"}},
        },
        "general_settings": {
            "upperbound_key_generate_params": {"max_budget": 10, "rpm_limit": 100, "duration": "30d",
                                               "budget_duration": "30d"},
        },
    })
    return Admin(gateway.url)


def test_defaults_fill_what_the_request_leaves_out(admin: Admin) -> None:
    key = admin.post("/key/generate", {"key_alias": "filled"})
    info = admin.get("/key/info", key=key["key"])["info"]
    assert info["max_budget"] == 1.5 and info["models"] == ["gpt-4o-mini"]
    assert info["metadata"] == {"setting": "default"}
    assert info["rpm_limit"] == 100  # an upper bound left out is the bound itself
    assert info["expires"] is not None  # the bound on duration gives the key an expiry


def test_given_values_win_over_defaults(admin: Admin) -> None:
    key = admin.post("/key/generate", {"max_budget": 2.5, "models": ["big-model"], "rpm_limit": 7})
    info = admin.get("/key/info", key=key["key"])["info"]
    assert info["max_budget"] == 2.5 and info["models"] == ["big-model"] and info["rpm_limit"] == 7


@pytest.mark.parametrize(("field", "value"), [("max_budget", 11.5), ("rpm_limit", 101), ("duration", "31d"),
                                              ("budget_duration", "60d")])
def test_a_value_over_its_bound_is_a_400_naming_it(admin: Admin, field: str, value: object) -> None:
    error = admin.post("/key/generate", {field: value}, expect=400)["error"]
    assert error["param"] == field
    assert error["message"] == (f"{field} is over max limit set in config - user_value={value}; "
                                f"max_value={ {'max_budget': 10, 'rpm_limit': 100}.get(field, '30d') }")
