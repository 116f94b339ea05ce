"""Saving and loading derived index folders atomically, with a meta.json that must match."""

import json
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np


def write_folder(target: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write arrays + meta.json to a temporary sibling folder, then swap it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with open(tmp / "arrays.npz", "wb") as fh:
            # numpy's default, named: the type checker then knows no array is meant for it
            np.savez(fh, allow_pickle=True, **arrays)
        # meta.json is written last: a folder without it is never trusted.
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}-old-{os.getpid()}-{threading.get_ident()}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_folder(target: Path, expect: dict[str, Any]
                ) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and meta of an index folder, or None when missing, damaged or not matching ``expect``."""
    try:
        meta = json.loads((target / "meta.json").read_text())
        if any(meta.get(k) != v for k, v in expect.items()):
            return None
        with np.load(target / "arrays.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return arrays, meta
