"""Answers to questions: a curated FAQ answer, the best cited passage, or a hand-off to the hotline."""

from dataclasses import dataclass

from sqlmodel import Session

from kb.errors import InvalidInput
from kb.library.filters import Filters
from kb.models import FaqItem
from kb.search.faq import FaqMatch, best_faq
from kb.search.service import Candidates, Hit, Searcher

MAX_QUESTION_CHARS = 500


@dataclass
class AnswerResult:
    """What ``policykb ask`` and ``POST /api/ask`` return."""

    query: str
    answer: dict | None
    confidence: float
    hits: list[Hit]
    answer_type: str = "none"  # "faq" | "passage" | "none"
    message: str = ""
    threshold: float = 0.0
    faq_threshold: float = 0.0
    faq_match: FaqMatch | None = None
    ranking: str = "lexical"

    def to_dict(self) -> dict:
        """The documented JSON shape."""
        faq = self.faq_match
        return {
            "query": self.query, "answer": self.answer, "answer_type": self.answer_type,
            "confidence": self.confidence, "threshold": self.threshold,
            "faq_threshold": self.faq_threshold,
            "faq_match": {"passage_id": faq.passage_id, "question": faq.question,
                          "score": faq.score} if faq else None,
            "ranking": self.ranking, "message": self.message,
            "hits": [_hit_json(h) for h in self.hits],
        }


def _hit_json(hit: Hit) -> dict:
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


def clean_question(question: str) -> str:
    """The question stripped, or an InvalidInput saying what is wrong with it."""
    q = (question or "").strip()
    if not q:
        raise InvalidInput("问题不能为空，请输入您要咨询的问题")
    if len(q) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"问题太长（{len(q)}字），请精简到{MAX_QUESTION_CHARS}字以内")
    return q


def confidence_of(searcher: Searcher, question: str, hits: list[Hit]) -> float:
    """How sure the top hit answers the question: the idf-weighted share of the question's terms it holds."""
    if not hits:
        return 0.0
    return round(min(1.0, searcher.coverage(question, hits[0].passage_id)), 3)


def _validity_note(hit: Hit) -> str:
    if hit.validity == "有效":
        return ""
    note = f"。注意：该政策当前状态为“{hit.validity}”"
    if hit.superseded_by:
        note += f"，已由《{hit.superseded_by['title']}》替代"
    return note


def _faq_answer(searcher: Searcher, match: FaqMatch, hits: list[Hit]
                ) -> tuple[dict | None, list[Hit]]:
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


def ask(*, searcher: Searcher, question: str, k: int = 5, threshold: float,
        hotline: str = "12345", filters: Filters | None = None,
        faq_threshold: float | None = None) -> AnswerResult:
    """Answer ``question``: a matching FAQ's curated answer, else the best passage above
    ``threshold``, else say so and point to the hotline (``faq_threshold`` defaults to settings)."""
    q = clean_question(question)
    if faq_threshold is None:
        faq_threshold = searcher.settings.faq_threshold
    if not 1 <= k <= 50:
        raise InvalidInput("k（返回条数）应在1到50之间")
    cands = searcher.candidates(q, filters=filters)
    return decide(searcher=searcher, question=q, cands=cands, k=k, threshold=threshold,
                  hotline=hotline, filters=filters, faq_threshold=faq_threshold)


def decide(*, searcher: Searcher, question: str, cands: Candidates, k: int, threshold: float,
           hotline: str, filters: Filters | None, faq_threshold: float) -> AnswerResult:
    """The reply to a cleaned question from its candidates (``evaluate`` reuses candidates)."""
    q = question
    hits = searcher.group(searcher.fused(cands, limit=max(50, k * 10)), k=k, per_policy=2)
    match = best_faq(searcher, q, cands, filters=filters)
    result = AnswerResult(query=q, answer=None, confidence=0.0, hits=hits, threshold=threshold,
                          faq_threshold=faq_threshold, faq_match=match,
                          ranking=searcher.setting.label() if searcher.dense else "lexical")
    if match is not None and match.score >= faq_threshold:
        result.answer, ranked = _faq_answer(searcher, match, hits)
        if result.answer is not None:
            result.hits = ranked[:k]
            result.answer_type, result.confidence = "faq", match.score
            top = result.hits[0]
            result.message = f"常见问题解答，依据{citation(top)}{_validity_note(top)}"
            return result
    result.confidence = confidence_of(searcher, q, hits)
    if hits and result.confidence >= threshold:
        top = hits[0]
        result.answer = _hit_json(top) | {"citation": citation(top)}
        result.answer_type = "passage"
        result.message = f"依据{citation(top)}{_validity_note(top)}"
    else:
        result.message = (f"未找到可靠的答案。建议拨打{hotline}政务服务便民热线咨询，"
                          "或到政务服务中心“一企来”企业服务窗口现场咨询。")
    return result
