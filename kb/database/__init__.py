"""The database: engine and units of work, the schema and its migrations, cluster job leases."""
