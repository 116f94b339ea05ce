"""Ingestion of every supported format, encodings, idempotence and all-or-nothing bad input."""

import json

import pytest
from sqlmodel import Session, func, select

from kb.errors import IngestError
from kb.models import FaqItem, Interpretation, Passage, Policy, Validity
from tests.utils.builders import NOTICE, ingest, write_jsonl, write_notice


def counts(engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one()
                     for m in (Policy, Passage, Interpretation, FaqItem))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_files_in_real_world_encodings_ingest_alike(engine, tmp_path, encoding):
    path = write_notice(tmp_path / "notice.txt", encoding)
    report = ingest(engine, path)
    assert len(report.created) == 1
    with Session(engine) as s:
        policy = s.exec(select(Policy)).one()
        sections = [p.section for p in s.exec(select(Passage).order_by(Passage.ordinal))]
    assert policy.title == "关于印发金湖县2025年中小企业服务工作要点的通知"
    assert policy.doc_number == "金政办发〔2025〕7号"
    assert sections == ["序言", "一、", "二、", "三、", "四、"]


def test_reingesting_updates_and_never_duplicates(engine, tmp_path):
    path = write_notice(tmp_path / "notice.txt")
    ingest(engine, path)
    before = counts(engine)
    again = ingest(engine, path)
    assert again.unchanged and not again.changed
    assert counts(engine) == before
    path.write_text(NOTICE.replace("不少于十场", "不少于二十场"), "utf-8")
    changed = ingest(engine, path)
    assert len(changed.updated) == 1
    assert counts(engine) == before
    with Session(engine) as s:
        assert "二十场" in s.exec(select(Policy)).one().full_text


def test_html_markdown_docx_and_pdf(engine, tmp_path):
    import docx
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    (tmp_path / "a.html").write_text(
        "<html><head><title>关于网页政策的通知</title><style>p{}</style></head><body>"
        "<h1>关于网页政策的通知</h1><p>一、网页条款</p><p>对网页企业给予补助。</p>"
        "<script>var x=1;</script></body></html>", "utf-8")
    (tmp_path / "b.md").write_text("# 关于标记文档的通知\n\n## 一、标记条款\n\n对**标记**企业给予奖励。\n", "utf-8")
    d = docx.Document()
    for line in ["关于文字处理文档的通知", "一、文档条款", "对文档企业给予贴息。"]:
        d.add_paragraph(line)
    d.save(tmp_path / "c.docx")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(tmp_path / "d.pdf"))
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(["关于便携文档的通知", "一、便携条款", "对便携企业给予担保。"]):
        c.drawString(72, 750 - 20 * i, line)
    c.save()
    report = ingest(engine, tmp_path)
    assert sorted(report.created) == sorted(
        ["关于网页政策的通知", "关于标记文档的通知", "关于文字处理文档的通知", "关于便携文档的通知"])
    with Session(engine) as s:
        texts = " ".join(p.text for p in s.exec(select(Passage)))
    assert "var x" not in texts and "p{}" not in texts
    for word in ("网页企业", "标记企业", "文档企业", "便携企业"):
        assert word in texts


GOOD = {"id": "p1", "title": "好的政策", "text": "一、条款\n对企业给予补助。"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps(GOOD, ensure_ascii=False) + "\n{not json\n", ":2: malformed JSON"),
        (json.dumps(GOOD, ensure_ascii=False) + '\n{"id": "p2", "text": ""}\n', ":2: text"),
        (json.dumps(GOOD, ensure_ascii=False) + '\n{"id": "p3", "text": "x", "sizes": ["巨型"]}\n',
         ":2: sizes"),
        (json.dumps(GOOD, ensure_ascii=False) + '\n[1, 2]\n', ":2: each line must be a JSON object"),
    ],
)
def test_malformed_jsonl_names_file_and_line_and_writes_nothing(engine, tmp_path, content, message):
    ingest(engine, write_notice(tmp_path / "first.txt"))
    before = counts(engine)
    bad = tmp_path / "bulk.jsonl"
    bad.write_text(content, "utf-8")
    with pytest.raises(IngestError) as err:
        ingest(engine, bad)
    assert "bulk.jsonl" in str(err.value) and message in str(err.value)
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [("empty.txt", b"   \n\n", "empty"), ("binary.txt", b"\x00\x01\x02PK\x00", "binary"),
     ("junk.docx", b"not a zip", "not a readable .docx"), ("junk.pdf", b"%PDF-garbage", "PDF"),
     ("notes.xls", b"x", "unsupported file type")],
)
def test_unusable_files_are_refused_with_their_name(engine, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as err:
        ingest(engine, path)
    assert name in str(err.value) and message in str(err.value)
    assert counts(engine) == (0, 0, 0, 0)


def test_bulk_format_with_interpretation_faq_and_supersession(engine, tmp_path):
    old = {"id": "old", "title": "旧政策", "text": "一、旧条款\n补助10万元。", "validity": "已修订",
           "superseded_by": "new"}
    new = {"id": "new", "title": "新政策", "doc_number": "金政发〔2024〕1号", "department": "县工信局",
           "text": "一、新条款\n补助20万元。", "sizes": ["小型", "micro"],
           "interpretations": [{"title": "解读", "background": "背景说明", "purpose": "目的说明",
                                "measures": "举措说明", "drafter": "王敏", "reviewer": "李强",
                                "publisher": "张伟"}],
           "faq": [{"question": "能补多少？", "answer": "20万元。"}]}
    ingest(engine, write_jsonl(tmp_path / "bulk.jsonl", [old, new]))
    with Session(engine) as s:
        pols = {p.source_key: p for p in s.exec(select(Policy))}
        kinds = sorted(p.kind for p in s.exec(select(Passage).where(Passage.policy_id == pols["id:new"].id)))
    assert pols["id:old"].superseded_by_id == pols["id:new"].id
    assert pols["id:old"].validity == Validity.REVISED
    assert pols["id:new"].sizes == ["micro", "small"]
    assert kinds == ["background", "clause", "faq", "measures", "purpose"]


def test_unknown_superseding_policy_is_an_error(engine, tmp_path):
    rec = {"id": "a", "title": "甲", "text": "正文。", "superseded_by": "missing"}
    with pytest.raises(IngestError, match="missing"):
        ingest(engine, write_jsonl(tmp_path / "x.jsonl", [rec]))
    assert counts(engine) == (0, 0, 0, 0)
