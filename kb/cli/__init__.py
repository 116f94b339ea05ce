"""The ``policykb`` command line: the parser, and the knowledge-base command groups (others plug in)."""
