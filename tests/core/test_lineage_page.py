"""政策脉络 (/lineage) driven through AppTest over the whole corpus (the session's store and
search index, opened as the app opens them), and the lineage answers in 问答检索."""

from __future__ import annotations

import pytest
from test_app import ask, open_page, rendered, shown_text, start_app

from conftest import CORPUS

HUBEI, NATIONAL, DALIAN, LIAONING = (
    "鄂政办发〔2016〕32号",
    "国办发〔2015〕71号",
    "大政办发〔2016〕24号",
    "辽政办发〔2015〕113号",
)


@pytest.fixture
def corpus_app(corpus_var, corpus_answerer, monkeypatch):
    """The app over the session's corpus; the answerer fixture has built the search index."""
    monkeypatch.setenv("POLICY_KB_CORPUS", str(CORPUS))
    monkeypatch.setenv("POLICY_KB_VAR", str(corpus_var))
    return start_app()


def open_document(at, number: str):
    at.query_params["doc"] = number
    return open_page(at, "lineage")


def test_the_page_shows_the_chain_as_a_tree_and_the_comparison(corpus_app):
    at = open_document(corpus_app, DALIAN)
    assert at.title[0].value == "政策脉络"
    tree = at.radio[0]
    labels = [rendered(option) for option in tree.options]
    # national → provincial → municipal: Dalian under Liaoning, not under the national opinion
    assert [label.strip("　└ ") for label in labels] == [NATIONAL, LIAONING, DALIAN]
    assert labels[2].index("└") > labels[1].index("└")
    assert tree.value == DALIAN
    text = shown_text(at)
    assert f"与上级文件逐条对照（{LIAONING}）" in text
    table = at.dataframe[0].value
    assert list(table.columns[:2]) == ["本文件条目", "上级文件条目"]
    row = table[table["本文件条目"].str.startswith("三、（三）1.")].iloc[0]
    assert row["上级文件条目"].startswith("四、（十二）")
    # what Dalian leaves out of Liaoning's opinion closes the table
    assert "上级有、本文件无" in set(table["对照"])


def test_picking_a_document_in_the_tree_opens_it(corpus_app):
    at = open_document(corpus_app, DALIAN)
    at.radio[0].set_value(LIAONING).run()  # up the chain
    assert not at.exception
    assert "辽宁省人民政府办公厅关于加强和改进学校美育工作的实施意见" in shown_text(at)
    at.radio[0].set_value(NATIONAL).run()
    at.radio[0].set_value(HUBEI).run()  # and down another branch
    assert not at.exception
    assert "湖北省人民政府办公厅关于全面加强和改进学校美育工作的实施意见" in shown_text(at)
    table = at.dataframe[0].value
    assert "本地新增" not in set(table["对照"])  # Hubei follows the national opinion item by item


def test_an_item_of_a_higher_document_lists_how_every_lower_document_carries_it_out(
    corpus_app,
):
    at = open_document(corpus_app, NATIONAL)
    items = at.selectbox(key=f"lineage_item_{NATIONAL}")
    teachers = next(i for i, o in enumerate(items.options) if "配齐美育教师" in rendered(o))
    items.set_value(teachers - 1).run()  # the options start with 请选择条目 (None)
    assert not at.exception
    text = shown_text(at)
    assert "个下级条目落实" in text
    labels = [rendered(e.label) for e in at.expander]
    assert any(HUBEI in label and "四、（十三）" in label for label in labels)
    assert any(DALIAN in label and "三、（三）1." in label for label in labels)  # through Liaoning
    assert [m.value for m in at.markdown if m.value in ("**省级**", "**市级**")] == [
        "**省级**",
        "**市级**",
    ]


def test_document_text_on_the_page_is_text(corpus_app):
    at = open_document(corpus_app, DALIAN)
    for element in at.markdown:
        assert "](http" not in element.value


def test_lineage_questions_in_the_ask_page(corpus_app):
    at = open_page(corpus_app, "ask")
    ask(at, "国办71号文的“配齐美育教师”，各省是怎么落实的")
    text = shown_text(at)
    assert "按「各地落实」理解这个问题" in text
    assert HUBEI in text and "四、（十三）" in text
