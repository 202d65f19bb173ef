#!/usr/bin/env python3
"""CDK entry point (``cdk.json`` runs it): ``npx cdk synth -c stage=prod -c config=my-config.yaml``."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdk.app import build_app

app, _stack = build_app()
app.synth()
