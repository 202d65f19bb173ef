"""The metering path stays light to import: no boto3, no powertools metrics, no httpx until used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = (
    "import json, sys; import tollway.metering.dynamo_meter, tollway.api.routes.spend, tollway.cli.spend; "
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('boto3', 'botocore', 'httpx', "
    "'aws_lambda_powertools.metrics')))))"
)


def test_importing_metering_pulls_in_nothing_heavy() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "lambda")})
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
