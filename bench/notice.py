"""The county-notice check: a fresh knowledge base holding only one notice of ten numbered sections.

    python bench/notice.py --notice ../shared/context/jinhu-2021-disclosure-work-points.txt

Ingests the notice into a throw-away knowledge base (lexical, as a county without a model runs)
and asks ten questions written for this check, one per section (一、 to 十、) in words of the
asker's own, then questions from outside the knowledge base. Prints per question the reply's kind,
the first clause's section and the confidence, then the tally; exits 1 unless every section comes
first, at least 8 of them as an answer, and no outside question is answered.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.config import Settings  # noqa: E402
from kb.database.db import create_schema, make_engine, session_scope  # noqa: E402
from kb.library.ingest import ingest_paths  # noqa: E402
from kb.search.answers import ask  # noqa: E402
from kb.search.service import Searcher  # noqa: E402

# One question per numbered section, as a firm or a resident might put it.
SECTIONS = [
    ("一、", "县里的十四五规划和以前的历史规划会向社会公开吗？"),
    ("二、", "新冠疫情防控期间政府要发布哪些方面的信息？"),
    ("三、", "市场监管执法和财政预算决算信息怎么公开？"),
    ("四、", "乡镇和村里的办事服务怎样做到公开透明？"),
    ("五、", "行政规范性文件要怎么清理并统一公开？"),
    ("六、", "企业遇到政策看不懂，可以通过哪些渠道咨询？"),
    ("七、", "对社会热点事件和网上舆情，政府怎么回应？"),
    ("八、", "依申请公开政府信息要交信息处理费吗？"),
    ("九、", "政务微信公众号发原创文章要标注谁审核？"),
    ("十、", "政务公开工作的队伍建设和督查考核怎么抓？"),
]
OUTSIDE = [
    "明天金湖会下雨吗？",
    "今晚国足的比赛几点开球？",
    "我和女朋友吵架了该怎么哄她？",
    "测试政策甲",
    "哪家火锅店最好吃？",
    "asdf qwer zxcv",
]
MIN_ANSWERED = 8


def main() -> int:
    """Build the knowledge base, ask, print, and say whether the check passed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--notice", type=Path, required=True, help="the notice file (.txt)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="policykb-notice-") as tmp:
        settings = Settings(home=Path(tmp), embedding_model="none")
        settings.ensure_dirs()
        engine = make_engine(settings.db_url)
        create_schema(engine)
        with session_scope(engine) as session:
            ingest_paths(session=session, paths=[args.notice])
        searcher = Searcher(engine, settings)
        rows, first, answered = [], 0, 0
        for section, question in SECTIONS:
            r = ask(searcher=searcher, question=question, threshold=settings.answer_threshold)
            top = r.hits[0].section if r.hits else None
            first += top == section
            answered += top == section and r.answer_type in ("faq", "passage")
            rows.append({"question": question, "section": section, "first": top,
                         "reply": r.answer_type, "confidence": r.confidence})
        outside_answered = 0
        for question in OUTSIDE:
            r = ask(searcher=searcher, question=question, threshold=settings.answer_threshold)
            outside_answered += r.answer_type in ("faq", "passage")
            rows.append({"question": question, "section": None,
                         "first": r.hits[0].section if r.hits else None,
                         "reply": r.answer_type, "confidence": r.confidence})
        engine.dispose()
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    ok = first == len(SECTIONS) and answered >= MIN_ANSWERED and outside_answered == 0
    print(json.dumps({"section_first": f"{first}/{len(SECTIONS)}",
                      "answered": f"{answered}/{len(SECTIONS)}",
                      "outside_answered": f"{outside_answered}/{len(OUTSIDE)}",
                      "passed": ok}, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
