"""Route modules, one per front door."""
