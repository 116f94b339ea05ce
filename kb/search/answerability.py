"""Answerability in evaluation: questions whose answer the corpus lacks, and how replies tally.

A query whose ``relevant_ids`` is empty is unanswerable: a good knowledge base hands it off (or at
most offers related clauses) instead of answering it.
"""

import hashlib
from typing import Any

from kb.library.ingest import Item

ANSWERS = ("faq", "passage")


def withheld(query_id: object) -> bool:
    """Whether ``--answerability`` takes this query's documents away (half of the ids, fixed)."""
    return hashlib.sha256(str(query_id).encode()).digest()[0] % 2 == 1


Query = dict[str, Any]  # a query line: {"id", "query", "relevant_ids": [...]}


def make_unanswerable(items: list[Item], queries: list[Query]) -> tuple[list[Item], list[Query]]:
    """Remove the relevant documents of half of the queries, keeping any another query needs."""
    chosen = [withheld(q["id"]) and bool(q["relevant_ids"]) for q in queries]
    needed = {str(d) for q, c in zip(queries, chosen, strict=True) if not c
              for d in q["relevant_ids"]}
    removed = {str(d) for q, c in zip(queries, chosen, strict=True) if c
               for d in q["relevant_ids"]} - needed
    kept = [i for i in items if i.record.id not in removed]
    return kept, [q | {"relevant_ids": [d for d in q["relevant_ids"] if str(d) not in removed]}
                  for q in queries]


def answerable(query: Query) -> bool:
    """A query with at least one relevant document in the corpus."""
    return bool(query["relevant_ids"])


def tally(queries: list[Query], replies: list[tuple[str, str | None]]
          ) -> dict[str, dict[str, float]]:
    """Shares of each kind of reply, for answerable and unanswerable queries apart.

    ``replies`` holds (answer_type, answer document) per query; *correct* is an answer whose
    document is relevant, *wrong* an answer whose document is not.
    """
    yes = {"correct": 0, "wrong": 0, "related": 0, "none": 0}
    no = {"answered": 0, "related": 0, "none": 0}
    for q, (kind, doc) in zip(queries, replies, strict=True):
        if answerable(q):
            key = kind if kind not in ANSWERS else (
                "correct" if doc in set(map(str, q["relevant_ids"])) else "wrong")
            yes[key] += 1
        else:
            no["answered" if kind in ANSWERS else kind] += 1
    n_yes, n_no = sum(yes.values()), sum(no.values())
    return {"answerable": {"n": n_yes} | {k: round(v / max(n_yes, 1), 4) for k, v in yes.items()},
            "unanswerable": {"n": n_no} | {k: round(v / max(n_no, 1), 4) for k, v in no.items()}}
