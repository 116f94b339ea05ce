"""HTTP routes: thin adapters over kb/ and push/."""
