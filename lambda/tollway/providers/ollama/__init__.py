"""``ollama/<model>`` (and LiteLLM's ``ollama_chat/``): Ollama's native ``/api/chat`` and ``/api/embed``."""
