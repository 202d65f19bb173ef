"""OpenAI (and any server speaking its Chat Completions protocol through ``api_base``)."""
