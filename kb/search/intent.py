"""What kind of question was typed: no Chinese, too short to answer, or about a policy's validity."""

import re

from kb.search.text.question_match import _FILLER_RE
from kb.search.text.tokenize import normalize

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A question with this few content characters (补贴, 高企, 政策) names a subject, not a question.
VAGUE_MAX_CHARS = 3
# How people ask whether a policy still applies; cut out before searching for the policy itself.
_VALIDITY_RE = re.compile(
    r"(现在|目前|如今|今年)?还(有效|管用|算数|能用|能申请|可以申请|能申报|可以申报|能享受|可以享受|"
    r"在执行|执行)(吗|么|没有|嘛)?|(现在|目前|如今|今年)?还有(吗|么|没有|嘛)|(是否|有没有)?(已经)?(过期|失效|废止|作废|停止|取消|到期)了?(吗|么|没有)?"
    r"|是否(有效|还有效)|有效期(到|至)?(什么时候|哪天|多久)?|效力(状态)?|现行有效"
    r"|被(哪个|什么|哪份|哪一个)?(文件|政策)?(代替|替代|取代|替换)")
_YEAR_RE = re.compile(r"(20\d\d)")
_SHORT_YEAR_RE = re.compile(r"(?<![\d〔])([12]\d)年")  # 21年出的那个: 2021
# Words that point at "the policy" without saying which: the year is used apart (``years``).
_POINTER_RE = re.compile(r"(20)?\d\d年?(出|发|出台|发布|印发)?的?|(那个|这个|那项|这项|那份|这份|的)?(政策|文件|规定|办法)"
                         r"|那个|这个|那项|这项|那份|这份")


def has_chinese(question: str) -> bool:
    """Whether the question holds any Chinese character."""
    return bool(CJK.search(question))


def content_chars(question: str) -> int:
    """Chinese characters left once the way of asking (请问, 怎么, 吗, ...) is cut out."""
    return len(CJK.findall(_FILLER_RE.sub(" ", normalize(question))))


def is_vague(question: str) -> bool:
    """A bare subject such as 补贴 or 高企: never answered confidently."""
    return content_chars(question) <= VAGUE_MAX_CHARS and not asks_validity(question)


def asks_validity(question: str) -> bool:
    """Whether the question asks if a policy still applies (还有效吗, 过期了吗, 还能申请吗, ...)."""
    return bool(_VALIDITY_RE.search(normalize(question)))


def validity_topic(question: str) -> str:
    """The question without its validity phrase: what to search for to find the policy."""
    topic = _POINTER_RE.sub(" ", _VALIDITY_RE.sub(" ", normalize(question))).strip()
    return topic or question


def years(question: str) -> list[str]:
    """Years named in the question (那个2021年的政策)."""
    return _YEAR_RE.findall(question) + [f"20{y}" for y in _SHORT_YEAR_RE.findall(question)]
