"""Read a config.yaml into a validated ``Config``; every failure is one readable line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tollway.config.models import Config
from tollway.config.unhonoured import check_strict
from tollway.errors import ConfigError


def load_config(path: str | os.PathLike[str] | None) -> Config:
    """Load and validate ``path`` (None: an empty config), then export ``environment_variables``.

    Raises ConfigError whose message names the file, the entry and the field.
    """
    if path is None:
        return Config()
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read config: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{name}: invalid YAML{where}: {problem}") from None
    return parse_config(data if data is not None else {}, source=name)


def parse_config(data: Any, *, source: str = "config") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping (model_list, router_settings, ...)")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc, data)}") from None
    try:
        check_strict(config)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    for key, value in config.environment_variables.items():
        os.environ.setdefault(str(key), str(value))
    return config


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = list(first["loc"])
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    entry = ""
    if len(loc) >= 2 and loc[0] == "model_list" and isinstance(loc[1], int):
        try:
            entry = f" (model_name '{data['model_list'][loc[1]]['model_name']}')"
        except (KeyError, IndexError, TypeError):
            entry = ""
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    where = f"{path}{entry}: " if path else ""  # a check across sections names its own place in the message
    return f"{where}{message}{more}"
