"""Importing the Lambda handler stays cheap: no boto3, no network, no provider adapters, no config.

Module names, not times: what a chat request never needs (FastAPI, the admin API and its records, the
UI, the Responses and Anthropic front doors, OpenTelemetry, pydantic.v1, ...) must not be imported by
``import tollway.handler``; those load with the first request that needs them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import json, sys
    events = []
    def audit(event, args):
        if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
            events.append(event)
    sys.addaudithook(audit)
    import tollway.handler
    print(json.dumps({
        "network": events,
        "modules": sorted(sys.modules),
    }))
""")

#: never imported by ``import tollway.handler`` (nor anything under them)
NEVER_AT_IMPORT = (
    "boto3", "botocore.session", "botocore.client", "moto", "uvicorn", "httpx", "fastapi", "pydantic.v1",
    "opentelemetry", "email_validator", "jinja2",
    "tollway.api.routes.admin_keys", "tollway.api.routes.admin_teams", "tollway.api.routes.admin_users",
    "tollway.api.routes.admin_iam", "tollway.api.routes.admin_audit", "tollway.api.routes.spend",
    "tollway.api.routes.guardrails", "tollway.api.routes.metrics", "tollway.api.routes.responses",
    "tollway.api.routes.anthropic", "tollway.api.routes.completions", "tollway.api.responses_api",
    "tollway.api.anthropic", "tollway.api.openapi", "tollway.identity.records", "tollway.identity.http",
    "tollway.identity.service", "tollway.ui", "tollway.providers.openai",
)


def test_importing_the_handler_pulls_in_nothing_heavy() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                            env={"PATH": "/usr/bin:/bin", "TOLLWAY_CONFIG": "/nonexistent.yaml"})
    report = json.loads(result.stdout.strip().splitlines()[-1])
    modules = report["modules"]
    assert report["network"] == []
    assert not [m for m in modules if m.startswith(("boto3", "moto", "uvicorn"))]
    assert not [m for m in modules if m.startswith("tollway.providers.") and m.endswith((".adapter",))]
    assert "tollway.providers.openai.adapter" not in modules
    assert "tollway.providers.mock.adapter" not in modules
    assert "tollway.handler" in modules
    assert not [m for m in modules if m in NEVER_AT_IMPORT or m.startswith(tuple(f"{n}." for n in NEVER_AT_IMPORT))]


def test_no_adapter_module_imported_until_first_use() -> None:
    probe = textwrap.dedent("""
        import sys
        import tollway.app, tollway.gateway, tollway.pipeline, tollway.config
        print(",".join(sorted(m for m in sys.modules if m.startswith("tollway.providers."))))
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    loaded = set(out.split(",")) if out else set()
    assert loaded <= {"tollway.providers.registry", "tollway.providers.catalog", "tollway.providers.base"}
