"""The bundled demo knowledge base: county policies, interpretations and FAQ, and a sample notice."""

from importlib import resources
from pathlib import Path


def demo_files() -> list[Path]:
    """The bundled demo knowledge base files."""
    folder = resources.files("kb.demo")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".jsonl", ".txt")))
