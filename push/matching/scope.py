"""Lexical similarity between a policy and a firm's 经营范围 (replaceable by dense retrieval)."""

import math
import re
from collections import Counter
from functools import lru_cache
from types import ModuleType
from typing import cast

# Boilerplate of business-scope texts that says nothing about the business.
_STOP = frozenset(
    "依法 须经 批准 项目 相关 部门 方可 开展 经营 活动 经营活动 许可 一般 除外 凭 营业执照 "
    "自主 具体 为准 以及 其他 不含 涉及 国家 规定 有关 进行 从事 相关部门 准后 法律 法规".split()
)
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")


@lru_cache(maxsize=1)
def _jieba() -> ModuleType:
    """jieba, imported and quietened on first use (its dictionary takes a second to load)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return cast(ModuleType, jieba)  # jieba ships no type information


@lru_cache(maxsize=8192)
def _terms(text: str) -> Counter[str]:
    """Content words (two characters or more) with their counts."""
    words = _jieba().lcut(text or "")
    return Counter(w for w in words if len(w) >= 2 and _WORD.search(w) and w not in _STOP)


def scope_score(policy_text: str, scope: str) -> float:
    """Cosine of sublinear term weights, in [0, 1]; 0 when either text has no content words."""
    p, s = _terms(policy_text), _terms(scope)
    if not p or not s:
        return 0.0
    wp = {t: 1 + math.log(c) for t, c in p.items()}
    ws = {t: 1 + math.log(c) for t, c in s.items()}
    dot = sum(w * wp[t] for t, w in ws.items() if t in wp)
    norm = math.sqrt(sum(w * w for w in wp.values())) * math.sqrt(sum(w * w for w in ws.values()))
    return dot / norm
