"""How alike two questions are, for grouping unanswered questions into ledger topics."""

import math
import re
from collections import Counter
from functools import lru_cache

from kb.search.text.synonyms import canonical
from kb.search.text.tokenize import bigrams, normalize

# Calibrated on hand-written paraphrases: rewordings of one question score 0.55–0.9, different
# questions sharing a word or two (离婚/结婚登记 材料, 高企 奖励/加计扣除) at most 0.45. Known limit:
# short questions about one long subject (公积金怎么提取 / 公积金贷款额度) still join, as do
# rewordings sharing no characters (老人坐公交要钱吗 / 老年人乘公交免费吗) stay apart.
JOIN_THRESHOLD = 0.5

# How people ask rather than what they ask about; cut out so 怎么办 and 如何办理 do not count as overlap.
_FILLER = sorted("""请问 您好 你好 我想 我们 我 你们 您 你 想问 想知道 一下 怎么办理 怎么办 怎么样 怎么
    怎样 如何 什么样 什么 多少钱 多少 哪些 哪里 哪儿 哪个 去哪 在哪 是否 有没有 能不能 可不可以 可以 能否
    吗 呢 吧 啊 呀 么 嘛 的 了 是 有 要 需要 应该 该 还 也 都 就 在 去 到 带 给""".split(),
                 key=len, reverse=True)
_FILLER_RE = re.compile("|".join(map(re.escape, _FILLER)))
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_UNIGRAM_WEIGHT = 0.5  # single characters rescue short rewordings (养宠物狗 / 宠物狗) but say less


@lru_cache(maxsize=8192)
def features(text: str) -> dict[str, float]:
    """Character bigrams (and, lighter, single characters) of the question's content words."""
    text = _FILLER_RE.sub(" ", canonical(normalize(text)))
    out: dict[str, float] = {}
    for run in _CJK_RUN.findall(text):
        out.update(dict.fromkeys(run, _UNIGRAM_WEIGHT))
        out.update(dict.fromkeys((run[i:i + 2] for i in range(len(run) - 1)), 1.0))
    out.update(dict.fromkeys((g for g in bigrams(text) if g.isascii()), 1.0))  # 2024, ai…
    return out


def rarity(df: int) -> float:
    """A term's weight: a term found in many topics (申请, 补贴, 材料) says little about which
    topic a question is."""
    return 1.0 if df <= 1 else 1.0 / (1.0 + math.log(df))


def similarity(a: str, b: str, topic_df: Counter[str] | None = None) -> float:
    """Weighted Dice overlap of two questions' features, in [0, 1]; ``topic_df`` down-weights common terms."""
    fa, fb = features(a), features(b)
    df = topic_df or Counter()

    def w(term: str) -> float:
        return rarity(df[term])

    total = sum(v * w(t) for t, v in fa.items()) + sum(v * w(t) for t, v in fb.items())
    if total <= 0:
        return 0.0
    shared = sum(min(fa[t], fb[t]) * w(t) for t in fa.keys() & fb.keys())
    return 2 * shared / total
