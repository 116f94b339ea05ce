"""Alembic's environment: runs on the connection kb.database.schema hands it, never on a URL of
its own."""

from alembic import context

from kb.database.schema import configure_options

config = context.config
# kb.database.schema holds the lock and the transaction.
connection = config.attributes["connection"]
context.configure(connection=connection, **configure_options())
# A no-op inside kb.database.schema's transaction; one unit on its own.
with context.begin_transaction():
    context.run_migrations()
