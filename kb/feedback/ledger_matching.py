"""Which open ledger topic an unanswered question joins: compared with each topic's title and
latest member questions, topic-rare terms weighing most; nothing here writes."""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from kb.database.db import id_column
from kb.feedback.models import LedgerTopic, QuestionLog, TopicStatus
from kb.feedback.routing import route
from kb.search.text.question_match import JOIN_THRESHOLD, features, rarity

MEMBERS_COMPARED = 20  # a topic is compared through its title and its latest member questions
OPEN_STATES = (TopicStatus.OPEN, TopicStatus.IN_PROGRESS)


@dataclass
class _Candidate:
    topic_id: int
    texts: list[str] = field(default_factory=list)
    terms: frozenset[str] = frozenset()  # every feature of its texts (for the topic df)


def _with_terms(topic_id: int, texts: list[str]) -> _Candidate:
    return _Candidate(topic_id, texts, frozenset().union(*(features(t).keys() for t in texts)))


def _open_topics(after_id: int = 0) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (col(LedgerTopic.status).in_(OPEN_STATES), col(LedgerTopic.id) > after_id)


def _member_texts(session: Session, texts: dict[int, list[str]], after_id: int = 0,
                  only: list[int] | None = None) -> None:
    """Append each open topic's latest member questions to its texts (title first)."""
    rank = func.row_number().over(partition_by=col(QuestionLog.topic_id),
                                  order_by=col(QuestionLog.id).desc()).label("rank")
    members = (select(QuestionLog.topic_id, QuestionLog.question, rank)
               .join(LedgerTopic, col(LedgerTopic.id) == QuestionLog.topic_id)
               .where(*_open_topics(after_id)))
    if only is not None:
        members = members.where(col(QuestionLog.topic_id).in_(only))
    ranked = members.subquery()
    for topic_id, text in session.exec(select(ranked.c.topic_id, ranked.c.question)
                                       .where(ranked.c.rank <= MEMBERS_COMPARED)).all():
        if topic_id in texts and text not in texts[topic_id]:
            texts[topic_id].append(text)


def note_filed(compared: list[_Candidate], *, topic_id: int, text: str) -> None:
    """Keep ``compared`` (the topics opened since a plan, as ``candidates`` read them) current
    once a question was filed into ``topic_id``, itself opened since: a batch of filings reads
    them once, not once a question."""
    for i, c in enumerate(compared):
        if c.topic_id == topic_id:
            if text not in c.texts:  # the title first, then at most MEMBERS_COMPARED members
                compared[i] = _with_terms(topic_id, [c.texts[0], text, *c.texts[1:]]
                                          [:MEMBERS_COMPARED + 1])
            return
    compared.append(_with_terms(topic_id, [text]))


def candidates(session: Session, after_id: int = 0) -> list[_Candidate]:
    """Open and in-progress topics (numbered above ``after_id``) with their title and latest
    member questions: columns only, as every question that opens or joins a topic reads them."""
    rows = session.exec(select(id_column(LedgerTopic.id), LedgerTopic.title)
                        .where(*_open_topics(after_id))
                        .order_by(col(LedgerTopic.id))).all()
    texts = {topic_id: [title] for topic_id, title in rows}
    if texts:
        _member_texts(session, texts, after_id)
    return [_with_terms(topic_id, t) for topic_id, t in texts.items()]


class OpenTopics:
    """The open topics' compared texts, kept between filings by a long-lived filer: a topic's
    members are read again only when its title or question count has changed (a question
    joining it is the only way its texts change), so filing does not re-read the whole ledger."""

    REREAD_ALL = 200  # more changed topics than this: one query for all, not an IN list

    def __init__(self) -> None:
        self._kept: dict[int, tuple[tuple[str, int], _Candidate]] = {}
        self.df: Counter[str] = Counter()  # topics holding each term, kept with the candidates

    def candidates(self, session: Session) -> list[_Candidate]:
        """The same candidates as ``candidates(session)``, mostly from memory."""
        rows = session.exec(select(id_column(LedgerTopic.id), LedgerTopic.title,
                                   LedgerTopic.question_count)
                            .where(*_open_topics()).order_by(col(LedgerTopic.id))).all()
        stamps = {tid: (title, count) for tid, title, count in rows}
        stale = {tid: [title] for tid, (title, count) in stamps.items()
                 if tid not in self._kept or self._kept[tid][0] != (title, count)}
        if stale:
            _member_texts(session, stale,
                          only=None if len(stale) > self.REREAD_ALL else list(stale))
        for tid in [t for t in self._kept if t not in stamps or t in stale]:
            self.df.subtract(self._kept.pop(tid)[1].terms)
        for tid, texts in stale.items():
            self._kept[tid] = (stamps[tid], _with_terms(tid, texts))
            self.df.update(self._kept[tid][1].terms)
        return [self._kept[tid][1] for tid in stamps]


def topic_df(topics: list[_Candidate]) -> Counter[str]:
    """How many of ``topics`` hold each term."""
    df: Counter[str] = Counter()
    for c in topics:
        df.update(c.terms)
    return df


class Weigher:
    """Topic-rarity weights of terms, and the weighted size of each text, for one topic df:
    kept while a batch of questions is compared with the same topics (each text is weighed
    once, not once a question)."""

    def __init__(self, df: Counter[str]) -> None:
        self.df = df
        self._weights: dict[str, float] = {}
        self._sizes: dict[str, float] = {}

    def w(self, term: str) -> float:
        """The term's weight among these topics."""
        if (found := self._weights.get(term)) is None:
            found = self._weights[term] = rarity(self.df[term])
        return found

    def size(self, text: str) -> float:
        """The weighted size of a text's features."""
        if (found := self._sizes.get(text)) is None:
            w = self.w
            found = self._sizes[text] = sum(v * w(t) for t, v in features(text).items())
        return found


def matches(question: str, candidates: list[_Candidate], df: Counter[str] | None = None,
            weigher: Weigher | None = None) -> list[tuple[float, int]]:
    """(score, topic id) of the candidates at or above the threshold, best first: the
    topic-weighted ``similarity`` with the question's best-matching text of each topic
    (``df``: how many of the candidates hold each term, counted here unless given;
    ``weigher``: a ``Weigher`` over that df, shared by the questions of a batch)."""
    if weigher is None:
        weigher = Weigher(topic_df(candidates) if df is None else df)
    w = weigher.w

    # Asked before, word for word, in a topic's compared texts: similarity 1, the most there is,
    # so those topics are the best (the same result as comparing with every topic, sooner).
    same = [(1.0, c.topic_id) for c in candidates if question in c.texts]
    if same and features(question):
        return sorted(same, key=lambda st: st[1])
    fa = features(question)
    asked = fa.keys()
    own = weigher.size(question)
    scored = []
    for c in candidates:
        if c.terms.isdisjoint(asked):
            continue  # no text of it shares a feature: every one would score 0
        best = 0.0
        for text in c.texts:
            fb = features(text)
            shared_terms = asked & fb.keys()
            if not shared_terms:
                continue
            total = own + weigher.size(text)
            if total > 0:
                shared = sum(min(fa[t], fb[t]) * w(t) for t in shared_terms)
                best = max(best, 2 * shared / total)
        if best >= JOIN_THRESHOLD:
            scored.append((best, c.topic_id))
    return sorted(scored, key=lambda st: (-st[0], st[1]))


@dataclass(frozen=True)
class Plan:
    """Where a question would be filed, worked out in a read transaction (no write lock held
    while every open topic is compared): the topic to join, and the newest topic compared."""

    topic_id: int | None
    score: float
    compared_up_to: int
    route: tuple[int | None, str | None] | None = None  # a new topic's department, and why


def plan_filing(*, session: Session, question: QuestionLog, topics: OpenTopics | None = None,
                ) -> Plan:
    """Compare a question with every open topic (kept in ``topics`` between calls, if given),
    and route it should it open one; nothing is written."""
    return plan_filings(session=session, questions=[question], topics=topics)[0]


def plan_filings(*, session: Session, questions: list[QuestionLog],
                 topics: OpenTopics | None = None) -> list[Plan]:
    """``plan_filing`` for several questions, reading the open topics once. Each is planned
    against the topics as they are now; filing compares it again with the topics opened since
    (``ledger.note_question``), so questions of one batch still join the topic one of them opens."""
    newest = session.exec(select(func.max(LedgerTopic.id))).one() or 0
    if topics is not None:
        found, df = topics.candidates(session), topics.df
    else:
        found = candidates(session)
        df = topic_df(found)
    weigher = Weigher(df)  # the same topics for the whole batch
    plans = []
    for question in questions:
        best = matches(question.question, found, weigher=weigher)
        plans.append(Plan(best[0][1], best[0][0], newest) if best
                     else Plan(None, 0.0, newest, route(session, question)))
    return plans
