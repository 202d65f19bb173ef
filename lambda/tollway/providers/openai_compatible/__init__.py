"""Providers that speak OpenAI's protocol, configured by ``tollway.providers.catalog``."""
