"""Alembic's environment: runs on the connection kb.schema hands it, never on a URL of its own."""

from alembic import context

from kb.schema import configure_options

config = context.config
connection = config.attributes["connection"]  # kb.schema holds the lock and the transaction
context.configure(connection=connection, **configure_options())
with context.begin_transaction():  # a no-op inside kb.schema's transaction; one unit on its own
    context.run_migrations()
