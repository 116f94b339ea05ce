"""push's schema revisions: its tables' part of the one migration history (``versions/``), found
by kb through the ``policykb.migrations`` entry point (see kb.database.schema)."""

from pathlib import Path

VERSIONS = Path(__file__).parent / "versions"
