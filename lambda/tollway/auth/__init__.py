"""Who is calling: credentials from headers, checked against the master key (and, later, virtual keys)."""
