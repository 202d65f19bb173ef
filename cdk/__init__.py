"""Tollway's AWS CDK app: one stack composed of small constructs.

``cdk.app.build_app`` is what ``app.py`` (the CDK entry point) and the infra tests call;
``cdk.settings`` reads the CDK context, ``cdk.gateway_config`` validates the gateway config
and derives what IAM needs from it, and one module per construct builds its part.
"""
