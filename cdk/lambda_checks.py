"""What a gateway config must satisfy to work on Lambda; synth refuses it otherwise, one line per entry.

* ``os.environ/NAME`` must name a variable the function has: one the stack sets, one Lambda
  sets, one the config's ``environment_variables`` exports, or one passed with ``-c env=NAME=value``.
  Secrets never go through plain environment variables: they must be ``secretsmanager/`` references.
* A secret field (``api_key``, ``*_secret*``, ``*_token``, ``*password*``, ``*credentials*``) must be a
  ``secretsmanager/`` reference: a literal would sit in plain text in the code asset.
  ``general_settings.master_key`` is exempt: on Lambda the stack's generated master-key secret replaces it.
* Every upstream timeout the config sets, plus the settlement margin, fits in the function timeout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tollway.config import Config
from tollway.config.secrets import ENV_PREFIX, SM_PREFIX

#: variables the Lambda runtime sets in every function
LAMBDA_RUNTIME_ENV = frozenset({
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
})
_SECRET_FIELD = re.compile(r"(^|_)(api_key|secret\w*|password|\w*credentials|access_key_id)$|(?<!_per)_token$")
#: fields the stack overrides on Lambda (the generated master-key secret wins over the config)
_REPLACED_ON_LAMBDA = frozenset({"general_settings.master_key"})
_TIMEOUT_FIELDS = ("timeout", "stream_timeout", "request_timeout")


class LambdaConfigError(ValueError):
    """The config would not work on Lambda; one line per offending entry."""


def is_secret_field(name: str) -> bool:
    return bool(_SECRET_FIELD.search(name.lower()))


def problems(config: Config, *, provided_env: Iterable[str], upstream_budget_seconds: float,
             timeout_seconds: int, settlement_margin_ms: int) -> list[str]:
    """Every reason ``config`` cannot run on Lambda, one line each (empty: it can)."""
    provided = set(provided_env) | LAMBDA_RUNTIME_ENV | {str(k) for k in config.environment_variables}
    found: list[str] = []
    for where, name, value in _strings(config.model_dump(mode="python", exclude={"environment_variables"})):
        if where in _REPLACED_ON_LAMBDA:
            continue
        secret = is_secret_field(name)
        if value.startswith(ENV_PREFIX):
            variable = value[len(ENV_PREFIX):]
            if secret:
                found.append(f"{where}: {value} puts a secret in a plain environment variable; store it in Secrets "
                             f"Manager and write secretsmanager/<secret-name>#{variable}")
            elif variable not in provided:
                found.append(f"{where}: {value} is not set on the function; pass it with -c env={variable}=<value>")
        elif secret and value and not value.startswith(SM_PREFIX):
            found.append(f"{where}: a literal secret would be stored in plain text in the code asset; use "
                         f"secretsmanager/<secret-name>#<json-key>")
    for where, seconds in upstream_timeouts(config):
        if seconds > upstream_budget_seconds:
            found.append(f"{where}: upstream timeout {seconds:g} s + settlement margin {settlement_margin_ms} ms "
                         f"(context 'settlement_margin_ms') exceeds the function timeout {timeout_seconds} s "
                         f"(context 'timeout'); lower it to {upstream_budget_seconds:g} s or raise the timeout")
    return found


def upstream_timeouts(config: Config) -> list[tuple[str, float]]:
    """Every upstream timeout the config sets explicitly, with where it is set."""
    out: list[tuple[str, float]] = []
    for section in ("router_settings", "litellm_settings"):
        values = getattr(config, section).model_dump()
        out += [(f"{section}.{f}", float(values[f])) for f in _TIMEOUT_FIELDS if values.get(f)]
    for i, deployment in enumerate(config.model_list):
        params = deployment.litellm_params.model_dump()
        out += [(f"{_entry(i, deployment.model_name)}.litellm_params.{f}", float(params[f]))
                for f in _TIMEOUT_FIELDS if isinstance(params.get(f), int | float) and params.get(f)]
    return out


def _entry(index: int, model_name: str) -> str:
    return f"model_list[{index}] ({model_name})"


def _strings(value: Any, where: str = "", name: str = "") -> Iterator[tuple[str, str, str]]:
    """(path, field name, value) of every string in the dumped config."""
    if isinstance(value, str):
        yield where, name, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}" if where else str(key), str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            label = f"{where}[{i}]"
            if where == "model_list" and isinstance(item, Mapping):
                label = _entry(i, str(item.get("model_name", "?")))
            yield from _strings(item, label, name)
