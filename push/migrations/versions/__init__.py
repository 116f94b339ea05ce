"""One module per revision of push's tables (``policykb db revision --package push -m MESSAGE``)."""
