"""Loading and validating the gateway's config.yaml (LiteLLM's schema)."""

from tollway.config.loader import load_config
from tollway.config.models import Config, Deployment

__all__ = ["Config", "Deployment", "load_config"]
