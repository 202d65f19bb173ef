"""The two budget settings: ``budget_min_output_tokens`` and ``budget_exceeded_status`` are honoured and validated."""

from __future__ import annotations

import pytest

from tollway.config.loader import parse_config
from tollway.config.unhonoured import unhonoured_keys
from tollway.errors import ConfigError


def test_defaults_and_honoured() -> None:
    config = parse_config({"general_settings": {"budget_min_output_tokens": 32, "budget_exceeded_status": 422}})
    assert config.general_settings.budget_min_output_tokens == 32
    assert config.general_settings.budget_exceeded_status == 422
    assert unhonoured_keys(config) == []
    defaults = parse_config({}).general_settings
    assert defaults.budget_min_output_tokens == 16 and defaults.budget_exceeded_status == 429


@pytest.mark.parametrize("settings", [
    {"budget_exceeded_status": 500}, {"budget_exceeded_status": 402}, {"budget_exceeded_status": "often"},
    {"budget_min_output_tokens": 0}, {"budget_min_output_tokens": "many"},
])
def test_invalid_values_are_a_config_error(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=next(iter(settings))):
        parse_config({"general_settings": settings})
