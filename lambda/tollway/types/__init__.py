"""Canonical request and response models shared by front doors and provider adapters."""
