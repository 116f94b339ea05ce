"""A policy's fields are declared once (kb/library/fields.py); every shape and table agrees with it."""

from datetime import date

import pytest
from pydantic import ValidationError

from kb.authoring import drafts
from kb.authoring.drafts import PolicyDraft
from kb.errors import InvalidInput
from kb.library import fields, versions
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


def test_versions_keep_every_field_and_read_dates_by_the_declaration():
    assert set(versions.POLICY_FIELDS) | {"full_text"} == set(fields.NAMES)
    assert {f.name for f in FIELDS if f.widget == "date"} == set(fields.DATE_NAMES)
    for name in fields.DATE_NAMES:
        assert Policy.model_fields[name].annotation == date | None
