"""A corpus of LiteLLM configs (tests/data/litellm_configs/, modelled on LiteLLM's documented examples): each
loads, and the startup warning names exactly the keys Tollway does not honour (``expected.yaml``).

Configs for providers Tollway does not have yet expect a ConfigError naming the provider; once a provider
is added their entry turns into an ``unhonoured`` list.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tollway.config.loader import load_config
from tollway.config.unhonoured import unhonoured_keys, warning_line
from tollway.errors import ConfigError
from tollway.routing.router import Router

CORPUS = Path(__file__).resolve().parents[2] / "data" / "litellm_configs"
EXPECTED: dict[str, dict[str, object]] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """``environment_variables`` are exported on load; each test leaves the environment as it found it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_every_config_has_an_expectation_and_there_are_thirty() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.yaml") if p.name != "expected.yaml")
    assert files == sorted(EXPECTED) and len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_config_loads_and_names_exactly_its_unhonoured_keys(name: str) -> None:
    expected = EXPECTED[name]
    if "config_error" in expected:
        with pytest.raises(ConfigError, match=str(expected["config_error"])):
            load_config(CORPUS / name)
        return
    config = load_config(CORPUS / name)
    assert unhonoured_keys(config) == expected["unhonoured"]
    router = Router(config)  # the runtime takes it too: strategies, chains, groups, tag filtering
    for name_ in config.groups():
        if "*" not in name_:
            assert router.group(name_)
    line = warning_line(config)
    if expected["unhonoured"]:
        assert line is not None and all(key in line for key in expected["unhonoured"])  # type: ignore[union-attr]
    else:
        assert line is None
