"""The hotline agent console's view of an answer: highlighted hits and a ready 答复口径 script."""

import html
import re

from kb.search.answers import AnswerResult, citation
from kb.search.service import Hit
from kb.search.text.synonyms import expand
from kb.search.text.tokenize import words


def query_terms(query: str) -> list[str]:
    """The words of ``query`` worth marking in a hit (synonyms included), longest first."""
    terms = set(words(expand(query)))
    # One character (补, 元) would light up the whole clause; keep them only if nothing else is left.
    longer = {t for t in terms if len(t) > 1}
    return sorted(longer or terms, key=lambda t: (-len(t), t))


def highlight(*, text: str, query: str) -> str:
    """``text`` HTML-escaped, with the query's words wrapped in <mark>."""
    terms = query_terms(query)
    marked = [False] * len(text)
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
        for m in pattern.finditer(text):
            marked[m.start():m.end()] = [True] * (m.end() - m.start())
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and marked[j] == marked[i]:
            j += 1
        chunk = html.escape(text[i:j])
        out.append(f"<mark>{chunk}</mark>" if marked[i] else chunk)
        i = j
    return "".join(out)


def script(*, hit: Hit, hotline: str = "12345") -> str:
    """What the agent reads out: the clause, its citation, a warning if it no longer applies."""
    lines = [hit.text.strip(), f"依据：{citation(hit)}"]
    if hit.validity != "有效":
        warning = f"注意：该政策当前状态为“{hit.validity}”，不再作为办理依据"
        if hit.superseded_by:
            sup = hit.superseded_by
            number = f"（{sup['doc_number']}）" if sup.get("doc_number") else ""
            warning += f"，现行政策为《{sup['title']}》{number}，请以新政策为准"
        lines.append(warning + "。")
    lines.append(f"如需进一步咨询可拨打{hotline}。")
    return "\n".join(lines)


def console_view(*, result: AnswerResult, hotline: str = "12345") -> dict:
    """The answer object plus, per hit, highlighted HTML, a script and a link to the clause."""
    out = result.to_dict()
    for hit, row in zip(result.hits, out["hits"], strict=True):
        anchor = f"#clause-{hit.passage_id}" if hit.kind == "clause" else ""
        row["citation"] = citation(hit)
        row["html"] = highlight(text=hit.text, query=result.query)
        row["script"] = script(hit=hit, hotline=hotline)
        row["url"] = f"/policies/{hit.policy_id}{anchor}"
    return out
