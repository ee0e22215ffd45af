"""Understanding questions: their kind, and the places and issuers they name."""

import pytest

from indexer.answering.intent import Vocabulary, understand


@pytest.fixture(scope="module")
def vocabulary(corpus_store):
    return Vocabulary.from_store(corpus_store)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("特岗计划谁负责？", "who"),
        ("孩子不上学了找哪个部门", "who"),
        ("普通高中往县城集中是哪个领导分管的", "who"),
        ("局人事科负责哪些任务？", "unit"),
        ("基础教育科都干啥", "unit"),
        ("各县(市、区)教育局有哪些职责", "unit"),
        ("李祖习分管什么？", "leader"),
        ("汪金月同志牵头的任务", "leader"),
        ("鄂教财〔2021〕1号是什么文件？哪些文件引用了它？", "docnum"),
        ("咸市教[2021]14号", "docnum"),
        ("《国务院办公厅关于全面加强和改进学校美育工作的意见》讲了什么", "docnum"),
        ("过渡期几年？", "search"),
        ("控辍保学是哪条规定的？", "search"),
    ],
)
def test_intent(vocabulary, corpus_store, question, kind):
    assert understand(question, vocabulary, corpus_store).kind == kind


def test_places_and_issuers_named_in_a_question_narrow_the_documents(vocabulary, corpus_store):
    intent = understand("湖北省美育教师培训由哪个部门负责？", vocabulary, corpus_store)
    assert intent.places == ["湖北省"]
    # 咸宁 lies in 湖北: its plan stays in scope beside the provincial opinion.
    assert intent.place_doc_ids == {"鄂政办发〔2016〕32号", "咸市教〔2021〕14号"}
    assert understand("大连的美育课程开课率要求", vocabulary, corpus_store).places == ["大连"]
