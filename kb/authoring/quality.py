"""Interpretation quality check: is it a substantive explanation, or the policy text pasted back?

The county counts an interpretation only when it explains the policy (背景 / 目的 / 主要举措 in
the department's own words); a "解读率" met by copying the clauses helps nobody. The reviewer sees
this report before approving, with the figures behind every flag.
"""

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.library.schemas import SectionRecord

# Characters are counted after dropping whitespace and punctuation (see ``_core``), so padding with
# spaces or "。。。" earns nothing. Minimums, calibrated on kb/demo/policies.jsonl, whose 16
# interpretations are what the county calls substantive: 背景 82–132, 目的 69–115, 主要举措 161–224,
# whole 406–633 (with sections). A part under its minimum cannot hold more than a sentence or two:
# 背景 needs why the policy exists (≥ 40 ≈ two sentences), 目的 what it aims at (≥ 30 ≈ one real
# sentence), 主要举措 the main measures in plain words (≥ 80 ≈ three or four items). The whole must
# reach 200, under half of the thinnest demo interpretation: an interpretation that short is a
# summary line, not an explanation, even if each part clears its own bar.
MIN_PART_CHARS = {"background": 40, "purpose": 30, "measures": 80}
MIN_TOTAL_CHARS = 200

# Restatement: a character counts as copied when it lies inside a run of ≥ NGRAM characters found
# verbatim in the policy. 8 is longer than the set phrases an explanation must repeat (高新技术企业 6,
# 中小微企业贷款 7), yet shorter than any clause sentence, so a pasted clause is caught whole while a
# reworded one is not (at 6, set phrases alone put some demo sections at 0.8). On the demo
# interpretations the overlap is 0.00–0.20 overall and at most 0.25 in 背景 / 目的 / 主要举措;
# pasting clauses gives ~1.0. A whole above 0.5, or one of those three parts (of ≥ 40 characters)
# above 0.6, is "mostly restates". Further sections are left out of the per-part check: 适用区域,
# 申报时间 and the like rightly quote the policy's lists and dates (up to 0.85 in the demo).
NGRAM = 8
MAX_OVERLAP = 0.5
MAX_PART_OVERLAP = 0.6
MIN_PART_FOR_OVERLAP = 40  # a two-line part that quotes one clause is not a restated interpretation

PART_LABELS = {"background": "背景", "purpose": "目的", "measures": "主要举措", "sections": "其他部分"}

_ASKS = {"background": "政策出台的背景（为什么出台、针对什么问题）",
         "purpose": "政策要达到的目的",
         "measures": "主要举措（支持什么、支持多少、谁能享受）"}


def _core(text: str) -> str:
    """NFKC, lower case, letters and digits only: CJK characters are letters, punctuation is not."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "").lower() if ch.isalnum())


class PolicyGrams:
    """The N-grams of a policy's text, built once: a 30k-character policy is a set of ~30k strings."""

    def __init__(self, policy_text: str, n: int = NGRAM) -> None:
        core = _core(policy_text)
        self.n = n
        self.grams = {core[i:i + n] for i in range(len(core) - n + 1)}

    def copied(self, text: str) -> tuple[int, int]:
        """(copied characters, all characters) of ``text``, both counted without punctuation."""
        core, n = _core(text), self.n
        covered = [False] * len(core)
        run_end = 0  # covered positions are marked once, not n times, so this stays linear
        for i in range(len(core) - n + 1):
            if core[i:i + n] in self.grams:
                for j in range(max(i, run_end), i + n):
                    covered[j] = True
                run_end = i + n
        return sum(covered), len(core)


@dataclass(frozen=True)
class Flag:
    """One finding, with a code for programs and a message for the reviewer."""

    code: str
    message: str


@dataclass
class QualityReport:
    """Flags and the figures behind them: characters per part, total, restatement overlap."""

    flags: list[Flag] = field(default_factory=list)
    chars: dict[str, int] = field(default_factory=dict)  # per part, letters and digits only
    total_chars: int = 0
    overlap: float = 0.0  # share of the interpretation's characters found verbatim in the policy
    part_overlap: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether nothing was flagged."""
        return not self.flags

    @property
    def codes(self) -> list[str]:
        """The flag codes, in order."""
        return [f.code for f in self.flags]

    def to_dict(self) -> dict:
        """A JSON-ready form."""
        return asdict(self) | {"ok": self.ok}


def _sections_text(sections: list[dict]) -> str:
    def part(s: "dict | SectionRecord", key: str) -> str:  # dicts from JSON, or records
        return (s.get(key) if isinstance(s, dict) else getattr(s, key, "")) or ""

    return "\n".join(f"{part(s, 'title')}\n{part(s, 'text')}" for s in sections or [])


def assess(*, background: str, purpose: str, measures: str, sections: list[dict],
           policy_text: str) -> QualityReport:
    """Check an interpretation against the policy it explains."""
    parts = {"background": background or "", "purpose": purpose or "", "measures": measures or "",
             "sections": _sections_text(sections)}
    grams = PolicyGrams(policy_text)
    report = QualityReport()
    copied_total = 0
    for name, text in parts.items():
        copied, n = grams.copied(text)
        report.chars[name] = n
        report.part_overlap[name] = round(copied / n, 3) if n else 0.0
        copied_total += copied
    report.total_chars = sum(report.chars.values())
    report.overlap = round(copied_total / report.total_chars, 3) if report.total_chars else 0.0

    for name, minimum in MIN_PART_CHARS.items():
        label, n = PART_LABELS[name], report.chars[name]
        if n == 0:
            report.flags.append(Flag(f"missing_{name}", f"缺少“{label}”：请写明{_ASKS[name]}。"))
        elif n < minimum:
            report.flags.append(Flag(
                f"thin_{name}", f"“{label}”只有 {n} 字（不少于 {minimum} 字）：请写明{_ASKS[name]}。"))
    if 0 < report.total_chars < MIN_TOTAL_CHARS:
        report.flags.append(Flag(
            "thin", f"解读全文只有 {report.total_chars} 字（不少于 {MIN_TOTAL_CHARS} 字），"
                    "不足以讲清政策，请充实内容。"))
    if report.overlap > MAX_OVERLAP:
        report.flags.append(Flag(
            "restates", f"解读有 {report.overlap:.0%} 的内容与政策原文逐字相同：解读应说明政策"
                        "为什么出台、解决什么问题、企业怎么享受，而不是照搬条文。"))
    for name in MIN_PART_CHARS:  # which part was copied tells the drafter what to rewrite
        share = report.part_overlap[name]
        if report.chars[name] >= MIN_PART_FOR_OVERLAP and share > MAX_PART_OVERLAP:
            report.flags.append(Flag(
                f"restates_{name}", f"“{PART_LABELS[name]}”有 {share:.0%} 的内容照搬政策原文，"
                                    "请用自己的话概括要点。"))
    return report

