"""Tollway's AWS CDK app: one stack composed of small constructs.

``cdk.app.build_app`` is what ``app.py`` (the CDK entry point) and the infra tests call;
``cdk.settings`` reads the CDK context, ``cdk.gateway_config`` validates the gateway config
and derives what IAM needs from it, and one module per construct builds its part.
"""

import os as _os

# jsii (under aws_cdk) prints a banner on every import when Node 20 is past end-of-life; the repo pins
# Node 20 (docs/deploy.md), so every entry point (app.py, tests, scripts) silences it before importing aws_cdk.
_os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
