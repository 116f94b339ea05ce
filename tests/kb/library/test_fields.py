"""A policy's fields are declared once (kb/library/fields.py); every shape and table agrees with it."""

from datetime import date

import pytest
from pydantic import ValidationError

from kb.authoring import diff, drafts
from kb.authoring.drafts import PolicyDraft
from kb.errors import InvalidInput
from kb.library import fields, validity, versions
from kb.library.fields import BY_NAME, FIELDS, LABELS
from kb.library.schemas import PolicyRecord
from kb.models import ContentKind, Policy

pytestmark = pytest.mark.no_database

# What only a bulk record carries: its own id, the successor's id, the department by name, items.
RECORD_ONLY = {"id", "superseded_by", "department", "interpretations", "faq"}
# Columns PolicyKB keeps for itself: identity, the text as segmented, sign-off state, bookkeeping.
TABLE_ONLY = {"id", "source_key", "source_text", "status", "version", "content_hash",
              "created_at", "updated_at"}
BOUNDED = [f.name for f in FIELDS if f.max_length is not None]


def _max_length(field_info: object) -> int | None:
    return next((m.max_length for m in getattr(field_info, "metadata", [])
                 if hasattr(m, "max_length")), None)


def test_the_draft_has_exactly_the_drafted_fields():
    assert list(PolicyDraft.model_fields) == list(fields.DRAFTED)


def test_the_bulk_record_has_the_copied_fields_and_text_for_full_text():
    assert set(PolicyRecord.model_fields) == set(fields.BULK_NAMES) | {"text"} | RECORD_ONLY


def test_the_table_has_a_column_for_every_field_and_nothing_undeclared():
    assert set(Policy.model_fields) == set(fields.NAMES) | TABLE_ONLY


@pytest.mark.parametrize("name", BOUNDED)
def test_draft_and_record_take_the_declared_bound_within_the_column(name):
    bound = BY_NAME[name].max_length
    record_name = "text" if name == "full_text" else name
    assert _max_length(PolicyDraft.model_fields[name]) == bound
    assert _max_length(PolicyRecord.model_fields[record_name]) == bound
    column = _max_length(Policy.model_fields[name])
    assert column is None or bound is None or bound <= column


@pytest.mark.parametrize("name", [n for n in BOUNDED if n != "source_url"])  # a URL has a shape
def test_draft_and_record_accept_the_bound_and_refuse_one_more(name):
    bound = BY_NAME[name].max_length
    assert bound is not None
    record_name = "text" if name == "full_text" else name
    base = {"title": "t", "full_text": "一、x"}
    for size, ok in ((bound, True), (bound + 1, False)):
        value = "字" * size
        if ok:
            drafts.validate_draft(ContentKind.POLICY, base | {name: value})
            PolicyRecord.model_validate({"text": "一、x", record_name: value})
            continue
        with pytest.raises(InvalidInput, match=f"^{LABELS[name]}：过长"):
            drafts.validate_draft(ContentKind.POLICY, base | {name: value})
        with pytest.raises(ValidationError):
            PolicyRecord.model_validate({"text": "一、x", record_name: value})


def test_one_label_per_field_everywhere():
    for name in fields.NAMES:
        assert diff.POLICY_LABELS[name] == LABELS[name]
    for name in fields.DRAFTED:
        assert drafts.FIELD_LABELS[name] == LABELS[name]
    assert diff.SIGNOFF_LABELS == {n: LABELS[n] for n in fields.SIGNOFF_NAMES}
    assert len(set(LABELS.values())) == len(LABELS), "two fields share a label"


def test_the_old_disagreements_are_gone():
    # 不适用行业 (diff) and 排除行业 (drafts) named one field; 被替代为 and 替代政策 another.
    assert diff.POLICY_LABELS["industries_exclude"] == drafts.FIELD_LABELS["industries_exclude"]
    assert diff.POLICY_LABELS["superseded_by_id"] == drafts.FIELD_LABELS["superseded_by_id"]
    assert diff.POLICY_LABELS["full_text"] == drafts.FIELD_LABELS["full_text"]


def test_a_notice_names_a_field_by_its_label_or_by_a_declared_group_word():
    for f in FIELDS:
        if isinstance(f.notice, str):
            assert f.notice != f.label, f"{f.name}: a group word equal to the label is notice=True"
    assert fields.CHANGE_LABELS["apply_from"] == fields.CHANGE_LABELS["apply_to"] == "申报时间"
    assert validity.CHANGES == [LABELS["validity"]]
    # Every noticed field is one a draft or a bulk record can change.
    assert set(fields.CHANGE_LABELS) <= set(fields.DRAFTED)


def test_versions_keep_every_field_and_read_dates_by_the_declaration():
    assert set(versions.POLICY_FIELDS) | {"full_text"} == set(fields.NAMES)
    assert {f.name for f in FIELDS if f.widget == "date"} == set(fields.DATE_NAMES)
    for name in fields.DATE_NAMES:
        assert Policy.model_fields[name].annotation == date | None


def test_a_bad_draft_value_is_named_by_its_declared_label():
    with pytest.raises(InvalidInput, match=f"^{LABELS['industries_exclude']}："):
        drafts.validate_draft(ContentKind.POLICY, {"title": "t", "full_text": "一、x",
                                                   "industries_exclude": ["99"]})
    with pytest.raises(InvalidInput, match=LABELS["superseded_by_id"]):
        drafts.validate_draft(ContentKind.POLICY, {"title": "t", "full_text": "一、x",
                                                   "superseded_by_id": 3})
