"""The schema's history: alembic revisions, the only way a database's tables are made or changed."""
