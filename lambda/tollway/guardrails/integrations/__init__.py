"""Guardrails backed by a service: Amazon Bedrock Guardrails (``ApplyGuardrail``) and Presidio over HTTP."""
