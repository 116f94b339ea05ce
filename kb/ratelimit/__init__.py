"""Rate limits shared by every worker and process: one counter row per key, in the database."""
