"""PolicyKB knowledge base: the shared ground at the top (settings, database, tables, errors, events,
clock, plugins) and one subpackage per domain (standards, staff, library, search, feedback, authoring, cli)."""
