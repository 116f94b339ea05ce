"""Answers to questions: the best cited passage with a confidence, or a plain hand-off to the hotline."""

from dataclasses import dataclass

from kb.errors import InvalidInput
from kb.search.service import Filters, Hit, Searcher

MAX_QUESTION_CHARS = 500


@dataclass
class AnswerResult:
    """What ``policykb ask`` and ``POST /api/ask`` return."""

    query: str
    answer: dict | None
    confidence: float
    hits: list[Hit]
    answer_type: str = "none"  # "passage" | "faq" | "none"
    message: str = ""
    threshold: float = 0.0

    def to_dict(self) -> dict:
        """The documented JSON shape."""
        return {
            "query": self.query, "answer": self.answer, "answer_type": self.answer_type,
            "confidence": self.confidence, "threshold": self.threshold, "message": self.message,
            "hits": [_hit_json(h) for h in self.hits],
        }


def _hit_json(hit: Hit) -> dict:
    return {
        "policy_id": hit.policy_id, "title": hit.title, "doc_number": hit.doc_number,
        "section": hit.section, "kind": hit.kind, "text": hit.text, "score": hit.score,
        "validity": hit.validity, "passage_id": hit.passage_id, "heading": hit.heading,
        "superseded_by": hit.superseded_by, "meta": hit.meta,
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
        raise InvalidInput("the question is empty")
    if len(q) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"the question is too long ({len(q)} characters; at most {MAX_QUESTION_CHARS})")
    return q


def confidence_of(searcher: Searcher, question: str, hits: list[Hit]) -> float:
    """How sure the top hit answers the question: the idf-weighted share of the question's terms it holds."""
    if not hits:
        return 0.0
    top = hits[0]
    return round(min(1.0, searcher.coverage(question, top.passage_id)), 3)


def ask(*, searcher: Searcher, question: str, k: int = 5, threshold: float,
        hotline: str = "12345", filters: Filters | None = None) -> AnswerResult:
    """Answer ``question`` from published passages; below ``threshold`` say so and point to the hotline."""
    q = clean_question(question)
    if not 1 <= k <= 50:
        raise InvalidInput("k must be between 1 and 50")
    hits = searcher.search(q, k=k, filters=filters)
    conf = confidence_of(searcher, q, hits)
    result = AnswerResult(query=q, answer=None, confidence=conf, hits=hits, threshold=threshold)
    if hits and conf >= threshold:
        top = hits[0]
        result.answer = _hit_json(top) | {"citation": citation(top)}
        result.answer_type = "faq" if top.kind == "faq" else "passage"
        result.message = f"依据{citation(top)}"
        if top.validity != "有效":
            result.message += f"。注意：该政策当前状态为“{top.validity}”"
            if top.superseded_by:
                result.message += f"，已由《{top.superseded_by['title']}》替代"
    else:
        result.message = (f"未找到可靠的答案。建议拨打{hotline}政务服务便民热线咨询，"
                          "或到政务服务中心“一企来”企业服务窗口现场咨询。")
    return result
