"""Tracing off costs nothing: neither the OpenTelemetry SDK nor an exporter is imported.

(FastAPI itself imports the small ``opentelemetry`` API package when it is installed, so the
API alone may be present; what tracing adds, the SDK, the exporters and protobuf, must not be.)
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_no_opentelemetry_module_is_imported_when_tracing_is_off() -> None:
    probe = textwrap.dedent("""
        import sys
        import tollway.handler, tollway.app, tollway.pipeline, tollway.providers.transport
        from tollway.config.loader import parse_config
        from tollway.gateway import Gateway
        gateway = Gateway(parse_config({"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}],
                                        "litellm_settings": {"callbacks": ["prometheus"]}}))
        tollway.app.create_app(gateway)
        heavy = ("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.proto", "google.protobuf")
        print(",".join(sorted(m for m in sys.modules if m.startswith(heavy))))
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "TOLLWAY_CONFIG": "/nonexistent.yaml"}).stdout.strip()
    assert out == ""
