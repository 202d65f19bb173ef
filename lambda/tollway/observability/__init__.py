"""Structured logs (and, with metering, metrics) for every request."""
