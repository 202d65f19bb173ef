"""docs/config-reference.md names every key the config models declare and every extra ``unhonoured`` lists."""

from __future__ import annotations

from pathlib import Path

from tollway.config import unhonoured
from tollway.config.models import (
    Config,
    GeneralSettings,
    LiteLLMParams,
    LiteLLMSettings,
    ModelInfo,
    RouterSettings,
)

REFERENCE = (Path(__file__).resolve().parents[3] / "docs" / "config-reference.md").read_text(encoding="utf-8")


def _sections() -> dict[str, str]:
    out: dict[str, str] = {}
    title = ""
    for line in REFERENCE.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
        out[title] = out.get(title, "") + line + "\n"
    return out


def _missing(section: str, names: set[str]) -> list[str]:
    text = _sections()[section]
    return sorted(name for name in names if f"`{name}`" not in text)


def test_every_declared_field_is_documented() -> None:
    assert _missing("Top level", set(Config.model_fields)) == []
    assert _missing("`model_list[].litellm_params`", set(LiteLLMParams.model_fields)) == []
    assert _missing("`model_list[].model_info`", set(ModelInfo.model_fields)) == []
    assert _missing("`router_settings`", set(RouterSettings.model_fields)) == []
    assert _missing("`litellm_settings`", set(LiteLLMSettings.model_fields)) == []
    assert _missing("`general_settings`", set(GeneralSettings.model_fields)) == []


def test_every_extra_read_by_name_is_documented() -> None:
    params = set(unhonoured.CALL_DEFAULT_NAMES | unhonoured.PRICE_OVERRIDE_NAMES | unhonoured.DEPLOYMENT_EXTRAS
                 | unhonoured.UPSTREAM_EXTRA_NAMES).union(*unhonoured.PROVIDER_SETTINGS.values())
    assert _missing("`model_list[].litellm_params`", params) == []
    assert _missing("`model_list[].model_info`", set(unhonoured.MODEL_INFO_EXTRAS)) == []
    for section, names in unhonoured.SECTION_EXTRAS.items():
        assert _missing(f"`{section}`", set(names) | set(unhonoured.CALLBACK_KEYS.get(section, ()))) == []
