"""Finding 2: no over-long value can be stored, so none can take the public list down."""

import pytest
from fastapi.testclient import TestClient
from pydantic.fields import FieldInfo
from sqlmodel import Session, func, select

from kb.authoring.drafts import SHAPES, validate_draft
from kb.errors import IngestError, InvalidInput
from kb.library.schemas import PolicyRecord
from kb.models import ContentKind, PolicyBase
from tests.utils.builders import ingest, load_demo, write_jsonl
from web.app import create_app

LONG_DOC_NUMBER = "金政发〔2026〕" + "1" * 96 + "号"  # 106 characters


def _max_length(field: FieldInfo) -> int | None:
    return next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), None)


@pytest.mark.parametrize("shape", [PolicyRecord, SHAPES[ContentKind.POLICY]])
def test_every_bounded_column_is_bounded_in_every_input_shape(shape):
    for name, column in PolicyBase.model_fields.items():
        limit = _max_length(column)
        if limit is None:
            continue
        field = shape.model_fields.get(name) or shape.model_fields.get("text")
        assert field is not None, name
        assert _max_length(field) is not None and _max_length(field) <= limit, name


def test_a_106_character_doc_number_is_refused_and_the_list_still_serves(engine, settings,
                                                                         tmp_path):
    load_demo(engine)
    assert len(LONG_DOC_NUMBER) == 106
    path = write_jsonl(tmp_path / "bad.jsonl", [
        {"id": "ok-1", "title": "一个正常的政策", "text": "一、正常条款。"},
        {"id": "long-1", "title": "文号过长的政策", "doc_number": LONG_DOC_NUMBER,
         "text": "一、条款内容。"}])
    with Session(engine) as s:
        from kb.models import Policy

        before = s.exec(select(func.count()).select_from(Policy)).one()
    with pytest.raises(IngestError) as err:
        ingest(engine, path)
    assert "bad.jsonl:2" in err.value.message and "doc_number" in err.value.message
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Policy)).one() == before
    with TestClient(create_app(settings)) as client:
        assert client.get("/policies").status_code == 200
        assert client.get("/api/policies").status_code == 200


def test_a_draft_with_an_overlong_doc_number_says_which_field():
    with pytest.raises(InvalidInput) as err:
        validate_draft(ContentKind.POLICY, {"title": "t", "full_text": "一、x",
                                            "doc_number": LONG_DOC_NUMBER})
    assert err.value.message == "文号：过长（最多 100 字）"
    with pytest.raises(InvalidInput) as err:
        validate_draft(ContentKind.POLICY, {"title": "t", "full_text": "一、x",
                                            "themes": ["主题" * 60]})
    assert err.value.message.startswith("主题")


def test_overlong_interpretation_and_faq_in_a_bulk_file_are_refused(engine, tmp_path):
    path = write_jsonl(tmp_path / "faq.jsonl", [
        {"id": "x", "title": "t", "text": "一、x", "faq": [{"question": "问" * 501, "answer": "答"}]}])
    with pytest.raises(IngestError, match="faq.0.question"):
        ingest(engine, path)
