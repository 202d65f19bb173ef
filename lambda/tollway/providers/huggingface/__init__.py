"""Hugging Face: the Inference Providers router (OpenAI-compatible) or a dedicated Inference Endpoint."""
