"""The built-in offline provider: deterministic answers with realistic usage, for demos and tests."""
