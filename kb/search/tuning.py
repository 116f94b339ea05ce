"""The measured fusion setting per embedding model: KB_HOME/tuning.json, else the package's own."""

import json
import os
import tempfile
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from kb.search.fusion import LEXICAL, FusionSetting

HYBRID_DEFAULT = FusionSetting(mode="hybrid", method="rrf", weight=0.5)

FILE = "tuning.json"


def _read(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _shipped() -> dict[str, Any]:
    """Settings measured for the bundled model(s) and shipped with the package (tuning.json)."""
    try:
        data = json.loads(resources.files("kb.search").joinpath(FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stored_setting(*, home: Path, model: str) -> FusionSetting | None:
    """The setting ``policykb eval --tune`` stored for ``model`` in ``home``, else the one shipped
    for it, if any."""
    entry = _read(home).get(model)
    if not isinstance(entry, dict):
        entry = _shipped().get(model)
    if not isinstance(entry, dict):
        return None
    try:
        return FusionSetting(**entry["setting"])
    except (KeyError, TypeError):
        return None


def store_setting(*, home: Path, model: str, setting: FusionSetting,
                  evidence: dict[str, Any]) -> Path:
    """Record the best setting for ``model`` with the measurements behind it (atomic write)."""
    data = _read(home)
    data[model] = {"setting": setting.to_dict(), "evidence": evidence,
                   "tuned_at": datetime.now(UTC).isoformat(timespec="seconds")}
    home.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tuning-", dir=home)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, home / FILE)
    return home / FILE


def effective_setting(*, home: Path, model: str | None, mode: str = "auto") -> FusionSetting:
    """What a searcher ranks with: the tuned setting in auto mode (lexical if none or no model)."""
    if model is None or mode == "lexical":
        return LEXICAL
    if mode == "dense":
        return FusionSetting(mode="dense")
    stored = stored_setting(home=home, model=model)
    if mode == "hybrid":
        # Asked for hybrid explicitly: the tuned weights if tuning chose hybrid, else plain RRF.
        return stored if stored and stored.mode == "hybrid" else HYBRID_DEFAULT
    return stored or LEXICAL
