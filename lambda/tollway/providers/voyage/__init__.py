"""Voyage AI embeddings (``voyage/<model>``)."""
