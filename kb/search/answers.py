"""Answers to questions: a curated FAQ answer, the best cited passage, or a hand-off to the hotline."""

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlmodel import Session, select

from kb.errors import InvalidInput
from kb.library.extract import doc_number
from kb.library.filters import Filters
from kb.models import FaqItem, Policy, Status
from kb.search.confidence import Evidence, confidence
from kb.search.faq import FaqMatch, best_faq
from kb.search.faq import pool as faq_pool
from kb.search.intent import asks_validity, has_chinese, is_vague, validity_topic, years
from kb.search.service import Candidates, Hit, Ranked, Searcher
from kb.search.spelling import vocabulary_of
from kb.search.text.synonyms import canonical
from kb.search.text.tokenize import bigrams
from kb.search.text.vocabulary import Correction
from kb.search.validity_reply import validity_facts

MAX_QUESTION_CHARS = 500
MAX_K = 50  # passages one reply may hold
RELATED_MAX = 3  # clauses in a "related" reply
SUCCESSOR_RANK = 10  # a successor's clause this high in the ranking comes before the old one
SUGGESTIONS_MAX = 3  # published FAQ questions offered with a related reply
TITLE_SHARE = 0.5  # a validity question's topic this much in a title names that policy

# What an answer depends on of the filters: validity, departments, theme, policies.
FiltersKey = tuple[tuple[str, ...], tuple[int, ...], str | None, tuple[int, ...]]


@dataclass
class AnswerResult:
    """What ``policykb ask`` and ``POST /api/ask`` return."""

    query: str
    answer: dict[str, Any] | None
    confidence: float
    hits: list[Hit]
    answer_type: str = "none"  # "faq" | "passage" (answers), "related", "none" (hand-off)
    message: str = ""
    threshold: float = 0.0
    faq_threshold: float = 0.0
    faq_match: FaqMatch | None = None
    ranking: str = "lexical"
    suggestions: list[str] = field(default_factory=list)  # FAQ questions to ask instead
    corrections: list[Correction] = field(default_factory=list)  # words searched as others

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape."""
        faq = self.faq_match
        return {
            "query": self.query, "answer": self.answer, "answer_type": self.answer_type,
            "confidence": self.confidence, "threshold": self.threshold,
            "faq_threshold": self.faq_threshold,
            "faq_match": {"passage_id": faq.passage_id, "question": faq.question,
                          "score": faq.score} if faq else None,
            "ranking": self.ranking, "message": self.message, "suggestions": self.suggestions,
            "corrections": [{"word": c.word, "known": c.known, "how": c.how}
                            for c in self.corrections],
            "hits": [_hit_json(h) for h in self.hits],
        }


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "policy_id": hit.policy_id, "title": hit.title, "doc_number": hit.doc_number,
        "section": hit.section, "kind": hit.kind, "text": hit.text, "score": hit.score,
        "validity": hit.validity, "passage_id": hit.passage_id, "heading": hit.heading,
        "superseded_by": hit.superseded_by, "meta": hit.meta, "signoff": hit.signoff,
    }


def citation(hit: Hit) -> str:
    """《title》（文号）section [validity], as an agent would read it out."""
    parts = [f"《{hit.title}》"]
    if hit.doc_number:
        parts.append(f"（{hit.doc_number}）")
    if hit.section:
        parts.append(f" {hit.section}")
    parts.append(f" [{hit.validity}]")
    return "".join(parts)


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(text: str) -> str:
    """``text`` with control characters as spaces: never typed on purpose, and NUL cannot be
    stored in a PostgreSQL text column."""
    return _CONTROLS.sub(" ", text or "")


def clean_question(question: str) -> str:
    """The question stripped, or an InvalidInput saying what is wrong with it."""
    q = without_controls(question).strip()
    if not q:
        raise InvalidInput("问题不能为空，请输入您要咨询的问题")
    if len(q) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"问题太长（{len(q)}字），请精简到{MAX_QUESTION_CHARS}字以内")
    return q


def calibrated(searcher: Searcher, question: str, ranked: Ranked, index: int = 0,
               family: set[int] | None = None, shown: Hit | None = None) -> float:
    """How sure ranked row ``index`` answers the question (kb/search/confidence.py).

    It weighs how much of the question the clause holds against how clearly it beats the best
    passage of a *different* policy, so a question several policies answer equally well is not
    answered from an arbitrary one. ``family``: policies that count as the same one (a policy
    and the one it superseded). ``shown``: that row's hit when the caller has it already.
    """
    if index >= len(ranked.rows):
        return 0.0
    passage_id = int(ranked.snap.table.passage_ids[ranked.rows[index]])
    if shown is None or shown.passage_id != passage_id:
        shown = next(iter(searcher.hits([passage_id], [1.0])), None)
    text = "\n".join((shown.title, shown.heading, shown.text)) if shown else ""
    return confidence(question, evidence(ranked), index, family, text,
                      model=searcher.confidence_model())


def evidence(ranked: Ranked) -> Evidence:
    """What the confidence reads of a ranking: its rows and scores, and each channel's own."""
    c = ranked.cands
    dense = c if c is not None and len(c.dense_rows) > 0 else None
    return Evidence(ranked.rows, ranked.scores, ranked.snap.table.policy_ids,
                    ranked.snap.lexical, dense.dense_rows if dense is not None else None,
                    dense.dense_scores if dense is not None else None,
                    int(c.lex_rows[0]) if c is not None and len(c.lex_rows) else -1)


def coverage_of(searcher: Searcher, question: str, hits: list[Hit]) -> float:
    """The largest idf-weighted share of the question's bigrams one of the clauses a related
    reply would show holds (0 without hits)."""
    return max((searcher.coverage(question, h.passage_id) for h in hits[:RELATED_MAX]),
               default=0.0)


def _validity_note(hit: Hit) -> str:
    if hit.validity == "有效":
        return ""
    note = f"。注意：该政策当前状态为“{hit.validity}”"
    if hit.superseded_by:
        note += f"，已由《{hit.superseded_by['title']}》替代"
    return note


def _faq_answer(searcher: Searcher, match: FaqMatch, hits: list[Hit]
                ) -> tuple[dict[str, Any] | None, list[Hit]]:
    """The curated answer as the answer, and the FAQ hit moved above the passages."""
    faq_hit = next((h for h in hits if h.passage_id == match.passage_id), None)
    if faq_hit is None:
        found = searcher.hits([match.passage_id], [match.score])
        if not found:  # unpublished since the index was read: answer from the passages instead
            return None, hits
        faq_hit = found[0]
    item = None
    if faq_hit.faq_id is not None:
        with Session(searcher.engine) as session:
            item = session.get(FaqItem, faq_hit.faq_id)
    answer = _hit_json(faq_hit) | {
        "citation": citation(faq_hit), "faq_id": faq_hit.faq_id,
        "question": item.question if item else faq_hit.heading,
        "text": item.answer if item else faq_hit.text,
    }
    return answer, [faq_hit] + [h for h in hits if h.passage_id != faq_hit.passage_id]


def ask(*, searcher: Searcher, question: str, k: int = 5, threshold: float | None = None,
        hotline: str = "12345", filters: Filters | None = None,
        faq_threshold: float | None = None) -> AnswerResult:
    """Answer ``question``: a matching FAQ's curated answer, else the best passage above
    ``threshold`` (None: the confidence model's own), else say so and point to the hotline
    (``faq_threshold`` defaults to settings)."""
    q = clean_question(question)
    if faq_threshold is None:
        faq_threshold = searcher.settings.faq_threshold
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"k（返回条数）应在1到{MAX_K}之间")
    # The same question in the same state of the indexes gets the same answer: kept (a copy
    # is handed out, so no caller changes the kept one).
    searcher.ensure_fresh()
    state = searcher.answer_state()
    key = (q, k, threshold, hotline, faq_threshold, _filters_key(filters),
           searcher.settings.related_threshold, searcher.settings.public_url)
    kept = searcher.answers.get(state, key)
    if kept is not None:
        return replace(kept)
    fixed, fixes = corrected(searcher, q)
    cands = searcher.candidates(fixed, filters=filters)
    result = decide(searcher=searcher, question=fixed, cands=cands, k=k, threshold=threshold,
                    hotline=hotline, filters=filters, faq_threshold=faq_threshold, asked=q)
    result.corrections = fixes
    searcher.answers.put(state, key, replace(result))
    return result


def _filters_key(filters: Filters | None) -> FiltersKey | None:
    if filters is None:
        return None
    return (tuple(filters.validity), tuple(filters.department_ids), filters.theme,
            tuple(filters.policy_ids))


def warm_up(searcher: Searcher) -> None:
    """Load what a first question would (the index, jieba's dictionary, the pinyin tables, the
    vocabulary), so that neither the first question nor the first patch after a publish waits
    for it: about 1.5 s on an idle 2-core machine."""
    from kb.search.text.tokenize import places
    from kb.search.text.vocabulary import sound

    searcher.ensure_fresh()
    sound("政策")  # pypinyin's tables: read when a question first holds an unknown word
    places("金湖县")  # jieba's part-of-speech table (about 3 s), for the semantic confidence
    ask(searcher=searcher, question="企业申报专项扶持资金需要哪些材料", threshold=1.0)


def corrected(searcher: Searcher, question: str) -> tuple[str, list[Correction]]:
    """The question as searched: words the knowledge base does not know replaced by the ones
    it does that sound alike or that they abbreviate (kb/search/text/vocabulary.py)."""
    vocab = vocabulary_of(searcher)
    if vocab is None:
        return question, []
    fixed, fixes = vocab.correct(question)
    return (fixed, fixes) if fixes else (question, [])


def decide(*, searcher: Searcher, question: str, cands: Candidates, k: int,
           threshold: float | None,
           hotline: str, filters: Filters | None, faq_threshold: float,
           related_threshold: float | None = None, asked: str | None = None) -> AnswerResult:
    """The reply to a cleaned question from its candidates (``evaluate`` reuses candidates).

    ``asked``: the question as typed when ``question`` is its corrected form (``corrected``);
    whether it is vague or has any Chinese is judged on what was typed.

    An answer (a curated FAQ answer or a clause) when the calibrated confidence reaches
    ``threshold``; related clauses when the best one covers at least ``related_threshold`` of
    the question; otherwise a hand-off.
    """
    q = question
    if related_threshold is None:
        related_threshold = searcher.settings.related_threshold
    if threshold is None:  # the threshold the shipped model was fitted with
        threshold = searcher.confidence_model().threshold
    ranked = searcher.fused(cands, limit=max(50, k * 10))
    faq_rows = faq_pool(searcher, q, cands, filters)  # read with the hits' citations
    hits = searcher.group(ranked, k=k, per_policy=2,
                          prefetch=cands.snap.table.passage_ids[faq_rows].tolist())
    match = best_faq(searcher, q, cands, filters=filters, rows=faq_rows)
    asked = asked or q
    result = AnswerResult(query=asked, answer=None, confidence=0.0, hits=hits, threshold=threshold,
                          faq_threshold=faq_threshold, faq_match=match,
                          ranking=searcher.setting.label() if searcher.dense else "lexical")
    if not has_chinese(asked):
        result.hits = []
        result.message = (f"请用中文描述您要咨询的政策问题。也可拨打{hotline}政务服务便民热线，"
                          "或到政务服务中心“一企来”企业服务窗口咨询。")
        return result
    if hits:
        hits = result.hits = successor_first(searcher, q, ranked, hits, related_threshold)
        at = np.nonzero(ranked.snap.table.passage_ids[ranked.rows] == hits[0].passage_id)[0]
        result.confidence = calibrated(searcher, q, ranked, int(at[0]) if len(at) else 0,
                                       family_of(hits), shown=hits[0])
    if asks_validity(q) and _validity_answer(searcher, result, q, filters, k, related_threshold):
        return result
    if is_vague(asked):
        # A bare subject (补贴, 高企) is never answered: the policies it names, and questions to ask.
        result.hits = hits[:RELATED_MAX]
        result.answer_type = "related" if hits else "none"
        result.suggestions = suggestions(searcher, ranked)
        result.message = (f"您的问题比较简短，以下相关条款仅供参考，可以换个更具体的问法。如需帮助，"
                          f"请拨打{hotline}政务服务便民热线。")
        return result
    if match is not None and match.score >= faq_threshold:
        # The curated answer obeys the same discipline: its passage must be clearly the answer.
        row = ranked.snap.table.row_of(match.passage_id)
        faq_at: np.ndarray | list[int] = [] if row is None else np.nonzero(ranked.rows == row)[0]
        faq_conf = calibrated(searcher, q, ranked, int(faq_at[0])) if len(faq_at) else 0.0
        if faq_conf >= threshold:
            result.answer, reordered = _faq_answer(searcher, match, hits)
            if result.answer is not None:
                result.hits = reordered[:k]
                result.answer_type, result.confidence = "faq", faq_conf
                top = result.hits[0]
                result.message = f"常见问题解答，依据{citation(top)}{_validity_note(top)}"
                return result
    if hits and result.confidence >= threshold:
        top = hits[0]
        result.answer = _hit_json(top) | {"citation": citation(top)}
        result.answer_type = "passage"
        result.message = f"依据{citation(top)}{_validity_note(top)}"
    elif hits and coverage_of(searcher, q, hits) >= related_threshold:
        result.hits = hits[:RELATED_MAX]
        result.answer_type = "related"
        result.suggestions = suggestions(searcher, ranked)
        result.message = (f"相关条款，仅供参考：未找到可以确定的答案。如需确认，请拨打{hotline}"
                          "政务服务便民热线，或到政务服务中心“一企来”企业服务窗口咨询。")
    else:
        result.message = (f"未找到可靠的答案。建议拨打{hotline}政务服务便民热线咨询，"
                          "或到政务服务中心“一企来”企业服务窗口现场咨询。")
    return result


def suggestions(searcher: Searcher, ranked: Ranked) -> list[str]:
    """Questions of published FAQ among the ranked passages, best first (at most SUGGESTIONS_MAX)."""
    table = ranked.snap.table
    rows = [int(r) for r in ranked.rows if table.faq[r]][:SUGGESTIONS_MAX * 2]
    if not rows:
        return []
    questions = searcher.passage_headings(table.passage_ids[np.asarray(rows, dtype=np.int64)])
    out: list[str] = []
    for r in rows:
        q = questions.get(int(table.passage_ids[r]))
        if q and q not in out:
            out.append(q)
    return out[:SUGGESTIONS_MAX]


def _validity_answer(searcher: Searcher, result: AnswerResult, question: str,
                     filters: Filters | None, k: int, related_threshold: float) -> bool:
    """Answer "还有效吗" from the named policy's own fields; False when no policy is clearly named."""
    numbered = _numbered_policy(searcher, question)
    if numbered is not None:  # "金政发〔2021〕18号还有效吗": the policy of that 文号, whatever it says
        filters = Filters(policy_ids=[numbered])
        hits = searcher.search(question, k=1, per_policy=1, filters=filters)
        if hits:
            return _validity_reply(searcher, result, hits[0], hits, k, 1.0)
    topic = validity_topic(question)
    hits = searcher.group(searcher.fused(searcher.candidates(topic, filters=filters),
                                         limit=max(50, k * 10)), k=k, per_policy=1)
    named = years(question)
    # "2021年那个政策": the policy of that year, among those the topic finds; else the first
    # policy whose title names the topic (稳岗返还还有吗: the 稳岗返还 policy, not one that
    # mentions it in passing), else the first found.
    titled = [h for h in hits if _title_share(topic, h.title) >= TITLE_SHARE]
    pick = next((h for h in hits if named and any(y in (h.doc_number or "") + h.title
                                                  for y in named)), None)
    if pick is None and named and titled:
        # "2019年那个技改政策" where no policy is of 2019: the titled one of the nearest year.
        want = int(named[0])
        pick = min(titled, key=lambda h: min((abs(int(y) - want) for y in
                                              years((h.doc_number or "") + h.title)),
                                             default=10_000))
    pick = pick or (titled[0] if titled else hits[0] if hits else None)
    if pick is None or searcher.coverage(topic, pick.passage_id) < related_threshold:
        return False
    return _validity_reply(searcher, result, pick, hits, k,
                           searcher.coverage(topic, pick.passage_id))


def _validity_reply(searcher: Searcher, result: AnswerResult, pick: Hit, hits: list[Hit], k: int,
                    sure: float) -> bool:
    """``result`` made the validity answer for ``pick``'s policy; False when it has no facts."""
    with Session(searcher.engine) as session:
        facts = validity_facts(session=session, policy_id=pick.policy_id,
                               public_url=searcher.settings.public_url)
    if facts is None:
        return False
    result.hits = [pick] + [h for h in hits if h.passage_id != pick.passage_id][:k - 1]
    result.answer = _hit_json(pick) | {"citation": citation(pick), "text": facts["text"],
                                       "validity_facts": facts}
    result.answer_type = "passage"
    result.confidence = round(sure, 3)
    result.message = facts["text"]
    return True


def _numbered_policy(searcher: Searcher, question: str) -> int | None:
    """The published policy whose 文号 the question quotes, if any."""
    number = doc_number(question)
    if number is None:
        return None
    with Session(searcher.engine) as session:
        return session.exec(select(Policy.id).where(Policy.doc_number == number,
                                                    Policy.status == Status.PUBLISHED)).first()


def _title_share(topic: str, title: str) -> float:
    """Share of the topic's bigrams that the title holds."""
    grams = set(bigrams(canonical(topic)))
    return len(grams & set(bigrams(canonical(title)))) / len(grams) if grams else 0.0


def successor_first(searcher: Searcher, question: str, ranked: Ranked, hits: list[Hit],
                     related_threshold: float) -> list[Hit]:
    """When the top clause's policy was superseded and its successor holds a matching clause
    (covering at least ``related_threshold`` of the question), the successor's clause comes first
    and the superseded one, with its label, right below it."""
    top = hits[0]
    if not top.superseded_by:
        return hits
    table = ranked.snap.table
    at = np.nonzero(table.policy_ids[ranked.rows] == top.superseded_by["policy_id"])[0]
    for i in at[:5]:
        row = int(ranked.rows[i])
        # Near the top of the ranking, or holding enough of the question, counts as matching.
        if i < SUCCESSOR_RANK or ranked.snap.lexical.coverage(question, row) >= related_threshold:
            newer = searcher.hits([int(table.passage_ids[row])], [float(ranked.scores[i])])
            if newer:
                return newer + [h for h in hits if h.passage_id != newer[0].passage_id]
    return hits


def family_of(hits: list[Hit]) -> set[int]:
    """The top hit's policy with the policies it superseded or was superseded by."""
    top = hits[0]
    family = {top.policy_id}
    if top.superseded_by:
        family.add(top.superseded_by["policy_id"])
    family |= {h.policy_id for h in hits
               if h.superseded_by and h.superseded_by["policy_id"] == top.policy_id}
    return family
