"""Folder swaps for derived artefacts: write a complete folder aside, then rename it into place."""

import os
import shutil
from pathlib import Path
from uuid import uuid4


def temp_sibling(*, target: Path, tag: str = "tmp") -> Path:
    """A fresh, not yet existing hidden folder next to ``target`` (same filesystem, so renames are atomic)."""
    return target.with_name(f".{target.name}.{tag}-{os.getpid()}-{uuid4().hex[:8]}")


def fsync_tree(*, folder: Path) -> None:
    """Flush every file of ``folder`` and the folder itself to disk before it is renamed into place."""
    for path in [*folder.rglob("*"), folder]:
        if path.is_file() or path.is_dir():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def replace_dir(*, tmp: Path, target: Path) -> None:
    """Move the fully written folder ``tmp`` to ``target``, replacing a folder already there."""
    old: Path | None = None
    if target.exists():
        old = temp_sibling(target=target, tag="old")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        if old is not None:  # put the previous version back rather than leave nothing
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
