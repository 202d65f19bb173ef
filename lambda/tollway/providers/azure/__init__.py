"""Azure OpenAI: deployment URLs with ``api-version`` (or the v1 API), ``api-key`` or Entra ID auth."""
