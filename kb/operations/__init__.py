"""Running a knowledge base: backup and restore, readiness, metrics, logs."""
