"""Questions asked from one policy's page: that policy first, then the whole knowledge base."""

from dataclasses import replace

from kb.library.filters import Filters
from kb.search.answers import AnswerResult, ask
from kb.search.service import Searcher

ANSWERS = ("faq", "passage")


def ask_within(*, searcher: Searcher, question: str, policy_id: int, k: int,
               threshold: float | None,
               hotline: str, filters: Filters | None = None) -> tuple[AnswerResult, str]:
    """The reply from policy ``policy_id`` when it answers, else from everywhere, with its scope.

    Preference: an answer from the policy, an answer from anywhere, related clauses of the
    policy, then whatever the whole knowledge base gives; scope is "policy" or "all".
    """
    base = filters or Filters()
    mine = ask(searcher=searcher, question=question, k=k, threshold=threshold, hotline=hotline,
               filters=replace(base, policy_ids=[policy_id]))
    everywhere = ask(searcher=searcher, question=question, k=k, threshold=threshold,
                     hotline=hotline, filters=replace(base, policy_ids=[]) if filters else None)
    if mine.answer_type in ANSWERS:
        # Alone in its scope a clause has no rival policy to lose its margin to, so its
        # confidence runs high: another policy's more confident answer is the better one.
        theirs = everywhere.answer or {}
        if (everywhere.answer_type in ANSWERS and theirs.get("policy_id") != policy_id
                and everywhere.confidence > mine.confidence):
            return everywhere, "all"
        return mine, "policy"
    if everywhere.answer_type in ANSWERS or mine.answer_type == "none":
        return everywhere, "all"
    return mine, "policy"
