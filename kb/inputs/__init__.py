"""Checks on what comes in from outside: record numbers typed in URLs and forms, URLs and webhooks,
CSV and JSONL row files."""
