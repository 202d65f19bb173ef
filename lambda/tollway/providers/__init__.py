"""Provider adapters: one folder per provider, loaded lazily through ``registry``.

Nothing here imports an adapter module; ``registry.load`` does, the first time a
deployment of that provider is called.
"""
