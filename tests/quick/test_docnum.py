import pytest

from conftest import SEED_NUMBER, SEED_NUMBER_AS_TYPED
from indexer.ingest.docnum import find_citations, find_doc_numbers, normalise_doc_number

CANONICAL = SEED_NUMBER


@pytest.mark.parametrize("typed", SEED_NUMBER_AS_TYPED)
def test_every_bracket_form_normalises(typed):
    assert normalise_doc_number(typed) == CANONICAL


def test_words_before_the_agency_code_are_not_part_of_it():
    assert normalise_doc_number("根据国办发〔2015〕71号要求") == "国办发〔2015〕71号"
    assert normalise_doc_number("鄂教财(2021)1号讲了什么") == "鄂教财〔2021〕1号"


def test_text_without_a_number():
    assert normalise_doc_number("过渡期几年？") is None
    assert find_doc_numbers("到2025年，设立5年过渡期") == []


def test_finds_every_number_with_offsets():
    text = "根据（咸发〔2021〕10号）以及（鄂教财〔2021〕1号）精神"
    found = find_doc_numbers(text)
    assert [f.number.canonical for f in found] == ["咸发〔2021〕10号", "鄂教财〔2021〕1号"]
    assert text[found[1].start : found[1].end] == "鄂教财〔2021〕1号"


def test_citation_with_title_and_number():
    text = "根据《中共咸宁市委 咸宁市人民政府关于巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作实施方案》(咸发〔2021〕10号)精神"
    (citation,) = find_citations(text)
    assert citation.title.startswith("中共咸宁市委")
    assert citation.doc_number.canonical == "咸发〔2021〕10号"


def test_title_with_brackets_inside_and_no_number():
    text = "按照《湖北省中长期教育改革和发展规划纲要（2011-2020年）》要求"
    (citation,) = find_citations(text)
    assert citation.title == "湖北省中长期教育改革和发展规划纲要（2011-2020年）"
    assert citation.doc_number is None


def test_a_book_or_newspaper_title_is_not_a_document_citation():
    assert find_citations("在《中国教育报》上刊登") == []
