"""Guardrails that run in the process with no network: pii/phi, prompt_injection, keywords/regex, limits."""
