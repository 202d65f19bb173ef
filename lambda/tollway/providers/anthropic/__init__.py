"""Anthropic Messages API adapter."""
