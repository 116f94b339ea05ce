"""The floor for bench/load.py: the same uvicorn and FastAPI answering ``POST /api/ask`` with a
bm25s lookup over the same documents, and nothing else (no log, no rate limit, no database).

    uvicorn --factory bench.floor:create_app --workers 2      # FLOOR_TEXTS=file.jsonl

FLOOR_TEXTS names a JSONL file of {"id", "title", "text"} (bench/load.py writes it from the
knowledge base's passages). What the product does on top of this is what bench/load.py prices.
"""

import json
import os
import sys
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from bench.peers import jieba_words  # noqa: E402


class Question(BaseModel):
    """The product's request, as far as the floor reads it."""

    question: str


def create_app() -> FastAPI:
    """The floor app over FLOOR_TEXTS."""
    import bm25s

    with open(os.environ["FLOOR_TEXTS"], encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh if line.strip()]
    retriever = bm25s.BM25(k1=0.5, b=0.9)
    retriever.index([jieba_words(f"{d['title']}\n{d['text']}") for d in docs], show_progress=False)
    jieba_words("企业补贴")  # jieba's dictionary, loaded before the first question
    app = FastAPI()

    @app.post("/api/ask")
    def ask(body: Question) -> dict:
        tokens = [t for t in jieba_words(body.question) if t in retriever.vocab_dict] or ["补贴"]
        found, scores = retriever.retrieve([tokens], k=min(10, len(docs)), show_progress=False,
                                           n_threads=0)
        hits = [{"id": docs[int(i)]["id"], "title": docs[int(i)]["title"],
                 "text": docs[int(i)]["text"], "score": float(s)}
                for i, s in zip(found[0], scores[0], strict=True)]
        return {"query": body.question, "hits": hits}

    return app
