"""Which department a new ledger topic goes to, and by which rule.

First the department of the policy the question matched (its best hit, when the search was
not guessing); failing that, a keyword rule: the department whose published policies' titles
and themes share the most words (character bigrams) with the question, when one clearly does.
"""

from sqlmodel import Session, col, select

from kb.feedback.models import QuestionLog
from kb.library.index_state import current_version
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
    # One column each, never whole policies (their full text is large).
    for passage_id in question.hits[:1]:  # passages are rebuilt, so it may be gone
        found = session.exec(select(Policy.department_id)
                             .join(Passage, col(Passage.policy_id) == Policy.id)
                             .where(Passage.id == passage_id)).first()
        if found is not None:
            return found
    if question.policy_id is not None:
        return session.exec(select(Policy.department_id)
                            .where(Policy.id == question.policy_id)).first()
    return None


_VOCABULARIES: dict[tuple, dict[int, frozenset[str]]] = {}  # one entry per knowledge base


def _department_words(session: Session) -> dict[int, frozenset[str]]:
    """Each department's bigrams of its published policies' titles and themes (read per new
    topic, over thousands of policies): rebuilt when the passages' version moves, as every
    publish, edit and withdrawal bumps it."""
    published = (Policy.status == Status.PUBLISHED, col(Policy.department_id).is_not(None))
    stamp = (str(session.get_bind().engine.url), current_version(session=session))
    vocab = _VOCABULARIES.get(stamp)
    if vocab is None:
        words: dict[int, set[str]] = {}
        for department_id, title, themes in session.exec(
                select(Policy.department_id, Policy.title, Policy.themes).where(*published)):
            if department_id is not None:  # always: ``published`` selects policies with one
                words.setdefault(department_id, set()).update(
                    _bigrams(title + "".join(themes or [])))
        vocab = {dept: frozenset(w) for dept, w in words.items()}
        _VOCABULARIES.clear()  # the last knowledge base asked about is the one kept
        _VOCABULARIES[stamp] = vocab
    return vocab


def by_keyword(session: Session, text: str) -> int | None:
    """The department whose policy titles and themes share the most bigrams with ``text``,
    when it shares at least KEYWORD_MIN_SHARED and no other department shares as many."""
    asked = _bigrams(text)
    vocab = _department_words(session)
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
