"""Texts that are not 公文 index as well: Q&A knowledge bases, FAQs, numbered answer lists, with no
structure invented that is not there; and numbered items past 99."""

from pathlib import Path

from indexer.documents import Source
from indexer.ingest.segment import parse_document


def _parse(text: str, name: str = "教育局常见问题.txt"):
    return parse_document(Source(path=name, kind="txt", text=text, content_hash="x"))


def test_a_faq_keeps_each_question_with_its_answer():
    document = _parse(
        "教育局常见问题解答\n"
        "问：孩子转学需要办理什么手续？\n"
        "答：由转入学校出具接收证明，经两地教育部门审核后办理。\n"
        "问：学生资助怎么申请？\n"
        "答：每学期开学后向学校资助办提交申请表。\n"
    )
    texts = [c.text for c in document.clauses]
    assert texts == [
        "问：孩子转学需要办理什么手续？\n答：由转入学校出具接收证明，经两地教育部门审核后办理。",
        "问：学生资助怎么申请？\n答：每学期开学后向学校资助办提交申请表。",
    ]


def test_numbered_answers_without_a_title_are_named_by_their_file():
    lines = [
        f"{n}. 关于第{n}件事的答复：已转交有关部门办理，办理结果将及时反馈。" for n in range(1, 4)
    ]
    document = _parse("\n".join(lines), name="市住房和城乡建设局.txt")
    assert document.title == "市住房和城乡建设局"
    assert [c.marker for c in document.clauses] == ["1.", "2.", "3."]


def test_items_past_99_follow_their_sequence_and_keep_their_own_words():
    items = [f"{n}．第{n}条答复的内容。" for n in range(1, 121)]
    document = _parse("某某局答复汇编\n一、答复\n" + "\n".join(items))
    numbered = [c for c in document.clauses if c.marker.endswith(".")]
    assert [c.marker for c in numbered] == [f"{n}." for n in range(1, 121)]
    item_100 = numbered[99]
    assert item_100.path == ["一、答复", "100.第100条答复的内容"]  # not under item 99
    assert "第99条" not in " ".join(item_100.path)


def test_a_marker_glued_to_a_number_is_read_in_sequence():
    text = "某某实施方案\n一、主要任务\n19．推进第一件事。\n20．2021版课程标准全面实施。\n3.5亿元专项资金已下达。\n"
    document = _parse(text)
    markers = [c.marker for c in document.clauses]
    assert markers == ["一、", "19.", "20."]  # item 20, though a digit follows its dot …
    assert "3.5亿元" in document.clauses[-1].text  # … and 3.5亿元 is a quantity, not item 3


def test_a_document_file_is_named_only_when_it_has_no_title():
    seed = Path(__file__).resolve().parents[2] / "corpus" / "xianning-jyj-2021-14.txt"
    document = _parse(seed.read_text(encoding="utf-8"), name="anything.txt")
    assert document.title.startswith("咸宁市教育局关于印发")
