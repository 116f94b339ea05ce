"""A web worker loads the tokenizer and the pinyin tables before it takes its first question."""

import os
import subprocess
import sys

import pytest

# In a fresh interpreter: this test process has long loaded both.
SCRIPT = """
import sys
from fastapi.testclient import TestClient
from kb.search.text import tokenize
from web.app import create_app

def loaded():
    return tokenize.jieba_tokenizer.cache_info().currsize == 1, "pypinyin" in sys.modules

before = loaded()
with TestClient(create_app()):
    print("before", *before, "after", *loaded())
"""


@pytest.mark.no_database
def test_a_started_worker_has_loaded_what_the_first_question_needs(tmp_path):
    env = os.environ | {"KB_HOME": str(tmp_path / "var"), "KB_INDEX_DIR": str(tmp_path / "idx"),
                        "KB_EMBEDDING_MODEL": "none"}
    env.pop("KB_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    # About 1.5 s that the first question (and the first patch after a publish) no longer waits.
    assert out.split() == ["before", "False", "False", "after", "True", "True"]
