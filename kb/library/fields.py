"""A policy's fields, declared once: names, bounds, labels, staff-form widgets and notice words.

Everything else derives from ``FIELDS``: the draft and bulk-record shapes take their bounds with
``declared()``, drafts' errors, the staff form, the review page and the diff take ``LABELS``,
ingest and versions take the name lists, and revision notices say ``CHANGE_LABELS``. The table
(kb/models.py ``Policy``) keeps its own column definitions, guarded by the migration check;
tests/kb/library/test_fields.py checks that every class agrees with this declaration.
"""

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from pydantic_core import PydanticUndefined

from kb.inputs.urls import MAX_URL
from kb.models import Audience, Level, Validity

# Bounds other shapes share: an interpretation's title, a document read from a file.
MAX_TITLE = 300
MAX_FULL_TEXT = 200_000

Widget = Literal["text", "textarea", "long", "date", "select", "list", "number"]


@dataclass(frozen=True)
class PolicyField:
    """One field of a policy: how long it may be, what it is called, how staff fill it in."""

    name: str
    label: str  # the one Chinese name every form, message, diff and notice uses
    max_length: int | None = None  # characters; list fields are bounded by their type (``Items``)
    widget: Widget | None = "text"  # the staff form's input; None: PolicyKB sets it, nobody drafts it
    required: bool = False  # a draft refuses it blank
    hint: str = ""
    options: tuple[str, ...] = ()  # a select's choices
    bulk: bool = True  # a bulk record carries it under this name, and ingest copies it as is
    # In revision notices: True under its label, a str under a word it shares with its pair
    # (申报时间 for both window dates), False left out.
    notice: bool | str = False

    @property
    def notice_label(self) -> str | None:
        """The word a revision notice uses when this field changed, or None."""
        if isinstance(self.notice, str):
            return self.notice
        return self.label if self.notice else None


# In the order forms and diffs show them.
FIELDS: tuple[PolicyField, ...] = (
    PolicyField("title", "标题", MAX_TITLE, required=True, notice=True),
    PolicyField("doc_number", "文号", 100, hint="如 金政发〔2024〕12号", notice=True),
    PolicyField("issuer", "发文机关", 200),
    PolicyField("level", "发文层级", widget="select", options=("", *(v.value for v in Level))),
    PolicyField("issue_date", "发文日期", widget="date"),
    PolicyField("effective_from", "施行日期", widget="date", notice=True),
    PolicyField("effective_to", "有效期至", widget="date", hint="过了这一天，政策自动转为“失效”",
                notice="有效期"),
    PolicyField("validity", "效力状态", widget="select", options=tuple(v.value for v in Validity),
                notice=True),
    PolicyField("audience", "适用对象", widget="select", options=tuple(a.value for a in Audience),
                hint="内部工作通知不向企业匹配、推送，也不受理申报", notice=True),
    # A bulk record names its successor by record id (``superseded_by``), not by policy id.
    PolicyField("superseded_by_id", "被替代为", widget="number", bulk=False,
                hint="已修订或废止时，填写替代它的政策编号"),
    PolicyField("source_url", "原文链接", MAX_URL),
    PolicyField("themes", "主题", widget="list", hint="多个用顿号或逗号分隔"),
    PolicyField("industries_include", "适用行业", widget="list", hint="GB/T 4754 代码，如 C、39、3911",
                notice=True),
    PolicyField("industries_exclude", "排除行业", widget="list", notice="适用行业"),
    PolicyField("sizes", "适用规模", widget="list", hint="大型、中型、小型、微型", notice=True),
    PolicyField("regions", "适用地区", widget="list", notice=True),
    PolicyField("qualifications", "资质要求", widget="list", notice=True),
    PolicyField("apply_from", "申报开始", widget="date", notice="申报时间"),
    PolicyField("apply_to", "申报截止", widget="date", notice="申报时间"),
    PolicyField("beneficiaries", "惠及对象", 500, notice=True),
    PolicyField("conditions", "申报条件", 5000, widget="textarea", notice=True),
    PolicyField("fulfil_time", "兑现时限", 200, notice=True),
    PolicyField("address", "受理地址", 300, notice=True),
    PolicyField("phone", "咨询电话", 100, notice=True),
    # The text as issued; a bulk record calls it ``text``.
    PolicyField("full_text", "政策原文", MAX_FULL_TEXT, widget="long", required=True, bulk=False,
                notice=True),
    # Filled in by PolicyKB: the department a draft comes from, the names that signed it off.
    PolicyField("department_id", "责任部门", widget=None, bulk=False),
    PolicyField("drafter", "拟稿人", widget=None, bulk=False),
    PolicyField("reviewer", "审核人", widget=None, bulk=False),
    PolicyField("publisher", "发布人", widget=None, bulk=False),
)

BY_NAME = {f.name: f for f in FIELDS}
NAMES = tuple(BY_NAME)
LABELS = {f.name: f.label for f in FIELDS}
DRAFTED = tuple(f.name for f in FIELDS if f.widget is not None)  # a draft's, and the staff form's
BULK_NAMES = tuple(f.name for f in FIELDS if f.bulk)
DATE_NAMES = tuple(f.name for f in FIELDS if f.widget == "date")
SIGNOFF_NAMES = ("drafter", "reviewer", "publisher")
CHANGE_LABELS = {f.name: label for f in FIELDS if (label := f.notice_label)}


def declared(name: str, default: Any = PydanticUndefined) -> Any:
    """A pydantic ``Field`` with the declared bounds: ``title: str = declared("title")``."""
    spec = BY_NAME[name]
    return Field(default, min_length=1 if spec.required else None, max_length=spec.max_length)
