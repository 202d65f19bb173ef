"""Choosing a deployment within a model group."""
