"""Content kinds: kb defines its own three; push's 申兑指南 arrives by registration."""

import pytest

from kb.authoring import kinds
from kb.authoring.drafts import SHAPES
from kb.errors import InvalidInput
from kb.models import ContentKind

pytestmark = pytest.mark.no_database


def test_kb_names_only_the_kinds_it_defines():
    assert set(ContentKind) == set(SHAPES)  # each of kb's kinds has kb's own draft shape


def test_a_registered_kind_is_known_with_its_label():
    assert kinds.labels() == {"policy": "政策文件", "interpretation": "政策解读",
                              "faq": "常见问题", "guide": "申兑指南"}
    assert kinds.label("guide") == "申兑指南"
    assert kinds.checked("guide") == "guide"


def test_an_unregistered_kind_is_refused_with_the_choices():
    with pytest.raises(InvalidInput, match="^不支持的内容类型：notice（可选：policy、interpretation、faq、guide）$"):
        kinds.checked("notice")
