"""文号 brackets: every spelling a person types becomes 〔〕, in ingestion and in search alike."""

import pytest

from kb.library.docnumber import normalise_doc_brackets
from kb.library.extract import doc_number
from kb.library.schemas import PolicyRecord

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


@pytest.mark.parametrize("typed", ["金政发〔2024〕12号", "金政发[2024]12号", "金政发【2024】12号",
                                   "金政发（2024）12号", "金政发(2024)12号", "金政发［2024］12号",
                                   "金政发[ 2024 ]12号"])
def test_every_bracket_style_is_one_spelling(typed):
    assert normalise_doc_brackets(typed) == "金政发〔2024〕12号"
    assert doc_number(f"标题\n{typed}\n正文") == "金政发〔2024〕12号"


@pytest.mark.parametrize(("typed", "stored"), [("金政发[2024", "金政发〔2024"),
                                               ("2024]12号", "2024〕12号"),
                                               ("（2024）", "〔2024〕")])
def test_part_of_a_doc_number_as_typed_in_a_search_box(typed, stored):
    assert normalise_doc_brackets(typed) == stored


@pytest.mark.parametrize("text", ["高新技术企业", "补助（一次性）", "第(3)项", "2024年"])
def test_text_without_a_bracketed_year_is_unchanged(text):
    assert normalise_doc_brackets(text) == text


def test_a_bulk_record_stores_the_normalised_doc_number():
    record = PolicyRecord(id="x-1", title="某政策", doc_number="金政发[2024]12号", text="第一条 内容。")
    assert record.doc_number == "金政发〔2024〕12号"
