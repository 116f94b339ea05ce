"""One module per revision (``policykb db revision -m MESSAGE`` writes a new one)."""
