"""The encoder the settings name, loaded once per process (or None: lexical mode)."""

import importlib.util
import logging
from typing import TYPE_CHECKING

from kb.config import Settings

if TYPE_CHECKING:
    from kb.search.dense.encoder import Encoder

log = logging.getLogger("policykb")


def load_configured_encoder(settings: Settings) -> "Encoder | None":
    """The encoder ``KB_EMBEDDING_MODEL`` names, or None (off, not installed, or no faiss)."""
    if settings.embedding_model.strip().lower() in ("", "none"):
        return None
    if importlib.util.find_spec("faiss") is None:  # say so once per process
        if not _warned_extra:
            _warned_extra.append(True)
            log.warning("embedding model %r needs faiss (pip install faiss-cpu); continuing in "
                        "lexical mode", settings.embedding_model)
        return None
    from kb.search.dense.encoder import load_encoder

    return load_encoder(name=settings.embedding_model, home=settings.home,
                        max_tokens=settings.embed_max_tokens)


_warned_extra: list[bool] = []
