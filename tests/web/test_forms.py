"""The staff form is built from the declared policy fields (kb/library/fields.py)."""

import pytest
from starlette.datastructures import FormData

from kb.authoring.drafts import PolicyDraft, validate_draft
from kb.library.fields import BY_NAME, DRAFTED, LABELS
from kb.models import ContentKind
from web.forms import FORMS, POLICY_FORM, draft_data

pytestmark = pytest.mark.no_database


def test_the_policy_form_covers_the_drafts_fields_in_the_declared_order():
    assert [f.name for f in POLICY_FORM] == list(DRAFTED) == list(PolicyDraft.model_fields)


def test_each_input_shows_the_declared_label_widget_and_hint():
    for f in POLICY_FORM:
        spec = BY_NAME[f.name]
        assert (f.label, f.kind, f.required, f.hint, f.options) == (
            LABELS[f.name], spec.widget, spec.required, spec.hint, spec.options)


def test_a_posted_policy_form_is_a_valid_draft():
    form = FormData([("title", "测试政策"), ("full_text", "一、条文"), ("themes", "科技、人才"),
                     ("apply_from", "2026-01-01"), ("level", ""), ("validity", "有效")])
    data = validate_draft(ContentKind.POLICY, draft_data(ContentKind.POLICY, form))
    assert data["themes"] == ["科技", "人才"] and data["level"] is None
    assert set(data) == {f.name for f in FORMS[ContentKind.POLICY]}


def test_no_hint_repeats_its_label():
    # The form shows the label, then the hint: a hint opening with the label reads 主要举措 主要举措：…
    repeats = [f.name for form in FORMS.values() for f in form if f.hint.startswith(f.label)]
    assert repeats == []
