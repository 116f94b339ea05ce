"""Which department a new ledger topic goes to, and by which rule.

First the department of the policy the question matched (its best hit, when the search was
not guessing); failing that, a keyword rule: the department whose published policies' titles
and themes share the most words (character bigrams) with the question, when one clearly does.
"""

from sqlmodel import Session, select

from kb.feedback.models import QuestionLog
from kb.models import Passage, Policy, Status

# Below this, the best hit is more likely noise than the right policy.
SUGGEST_MIN_CONFIDENCE = 0.15
KEYWORD_MIN_SHARED = 2  # bigrams a department's titles and themes must share with the question
BY_POLICY, BY_KEYWORD, BY_HAND = "policy", "keyword", "manual"
ROUTED_BY_LABELS = {BY_POLICY: "按匹配政策的部门", BY_KEYWORD: "按关键词推断", BY_HAND: "人工指定",
                    None: "未能推断，待分派"}


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def by_matched_policy(session: Session, question: QuestionLog) -> int | None:
    """The department of the policy the question's best hit belongs to (None when unsure)."""
    if question.confidence < SUGGEST_MIN_CONFIDENCE:
        return None
    for passage_id in question.hits[:1]:
        passage = session.get(Passage, passage_id)  # passages are rebuilt, so it may be gone
        policy = session.get(Policy, passage.policy_id) if passage else None
        if policy is not None:
            return policy.department_id
    if question.policy_id is not None:
        policy = session.get(Policy, question.policy_id)
        return policy.department_id if policy else None
    return None


def by_keyword(session: Session, text: str) -> int | None:
    """The department whose policy titles and themes share the most bigrams with ``text``,
    when it shares at least KEYWORD_MIN_SHARED and no other department shares as many."""
    asked = _bigrams(text)
    vocab: dict[int, set[str]] = {}
    for p in session.exec(select(Policy).where(Policy.status == Status.PUBLISHED)):
        if p.department_id is not None:
            words = vocab.setdefault(p.department_id, set())
            words |= _bigrams(p.title + "".join(p.themes or []))
    scored = sorted(((len(asked & words), dept) for dept, words in vocab.items()), reverse=True)
    if not scored or scored[0][0] < KEYWORD_MIN_SHARED:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None  # a tie is a guess: leave it to an administrator
    return scored[0][1]


def route(session: Session, question: QuestionLog) -> tuple[int | None, str | None]:
    """(department id, rule used: "policy" | "keyword" | None)."""
    dept = by_matched_policy(session, question)
    if dept is not None:
        return dept, BY_POLICY
    dept = by_keyword(session, question.question)
    return (dept, BY_KEYWORD) if dept is not None else (None, None)
