"""Build the CDK app: read settings, validate the gateway config, add the stack and the checks.

``app.py`` at the repo root calls ``build_app()``; tests call it with their own context.
A bad gateway config fails here with the loader's one-line message, before any construct.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App, Validations

from cdk import lambda_checks
from cdk.gateway_config import ConfigValidationError, load_gateway_config
from cdk.settings import SettingsError, from_context
from cdk.stack import TollwayStack

ROOT = Path(__file__).resolve().parent.parent


class SynthError(SystemExit):
    """Synth cannot proceed; the message is one line for the terminal."""


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None, *,
              nag: bool = True) -> tuple[App, TollwayStack]:
    app = App(context=context, outdir=outdir) if context is not None else App(outdir=outdir)
    try:
        settings = from_context(app.node)
        config_path = Path(settings.config_path)
        if not config_path.is_absolute():
            config_path = ROOT / config_path
        gateway_config = load_gateway_config(config_path)
        stack = TollwayStack(app, settings.stack_name, settings=settings, gateway_config=gateway_config)
    except (SettingsError, ConfigValidationError) as exc:
        raise SynthError(f"tollway synth: {exc}") from None
    found = lambda_checks.problems(
        gateway_config.config, provided_env=stack.gateway.function_environment,
        upstream_budget_seconds=settings.upstream_budget_seconds, timeout_seconds=settings.timeout_seconds,
        settlement_margin_ms=settings.settlement_margin_ms)
    if found:
        raise SynthError("\n".join(f"tollway synth: {line}" for line in found))
    if nag:
        from cdk_nag import AwsSolutionsChecks

        Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack
