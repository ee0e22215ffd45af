"""The seed plan, 咸市教〔2021〕14号: structure, tasks, responsibilities, citations, facts."""

import pytest

from conftest import SEED_NUMBER, SEED_NUMBER_AS_TYPED
from indexer.answering.duties import leader_duties, unit_duties

TASKS = {
    1: (["李祖习"], ["局基础教育科", "各县市区教育局"]),
    2: (
        ["魏祖健"],
        ["市学生资助管理中心", "局职成教科", "市中小学后勤工作办公室", "各县市区教育局"],
    ),
    3: (["魏祖健"], ["局计划财务科", "市教育技术装备办公室", "各县市区教育局"]),
    4: (["魏祖健"], ["局计划财务科", "局基础教育科", "各县市区教育局"]),
    5: (["张海泉"], ["局人事科", "局计划财务科", "各县市区教育局"]),
    6: (
        ["李祖习"],
        [
            "局基础教育科",
            "局职成教科",
            "局计划财务科",
            "市教育科学研究院",
            "市教育技术装备办公室",
            "各县市区教育局",
        ],
    ),
    7: (["李祖习"], ["局基础教育科", "局人事科", "各县市区教育局"]),
    8: (["汪金月"], ["局职成教科", "局人事科", "市教育招生考试院", "各县市区教育局"]),
    9: (["汪金月"], ["局职成教科", "各县市区教育局"]),
    10: (["汪金月"], ["局职成教科", "各县市区教育局"]),
}


@pytest.fixture(scope="module")
def seed(corpus_store):
    document = corpus_store.find_document(SEED_NUMBER)
    return document, corpus_store.clauses(document.doc_id)


def test_three_top_sections(seed):
    _, clauses = seed
    top = [c.path[0] for c in clauses if c.level == 1 and c.marker]
    assert top == ["一、总体要求", "二、重点任务", "三、工作要求"]


def test_ten_tasks_with_exactly_the_leads_and_units_the_text_gives(seed):
    _, clauses = seed
    tasks = {c.task_no: (c.leads, c.units) for c in clauses if c.task_no}
    assert tasks == TASKS


def test_task_path_and_display_text(seed):
    _, clauses = seed
    task1 = next(c for c in clauses if c.task_no == 1)
    assert task1.path == [
        "二、重点任务",
        "（一）巩固义务教育有保障成果",
        "1.巩固义务教育控辍保学成果",
    ]
    assert task1.title == "巩固义务教育控辍保学成果"
    assert "牵头领导" not in task1.text and "李祖习" not in task1.text
    assert task1.text.endswith("不失学辍学。")


def test_principles_and_work_requirements_are_clauses(seed):
    _, clauses = seed
    principles = [c.title for c in clauses if c.kind == "principle"]
    assert principles == [
        "坚持总体稳定、有序过渡",
        "坚持统筹部署、协调推进",
        "坚持志智双扶、育人为本",
    ]
    requirements = [c.path[-1] for c in clauses if c.path[0] == "三、工作要求" and c.level == 2]
    assert requirements == [
        "（一）加强组织领导",
        "（二）完善政策保障",
        "（三）加强考核督办",
        "（四）凝聚工作合力",
    ]


def test_clause_offsets_point_into_the_original(seed, corpus_store):
    document, clauses = seed
    source = corpus_store.source_texts(document.doc_id)[0]["text"]
    task5 = next(c for c in clauses if c.task_no == 5)
    assert source[task5.start : task5.end].startswith("5.进一步加强乡村教师队伍建设")


def test_cited_documents_resolve_with_their_titles(seed, corpus_store):
    document, _ = seed
    cited = {
        row["cited_number"]: row
        for row in corpus_store.cites(document.doc_id)
        if row["cited_number"]
    }
    assert set(cited) == {"咸发〔2021〕10号", "鄂教财〔2021〕1号"}
    for number in cited:
        target = corpus_store.find_document(number)
        assert target is not None and not target.in_corpus
    assert "推进巩固拓展教育脱贫攻坚成果" in corpus_store.find_document("鄂教财〔2021〕1号").title
    assert corpus_store.find_document("咸发〔2021〕10号").title.startswith("中共咸宁市委")
    cited_by = corpus_store.cited_by(corpus_store.find_document("鄂教财〔2021〕1号").doc_id)
    assert [label for _, label in cited_by] == [SEED_NUMBER]


def test_facts_and_the_date_conflict(seed):
    document, _ = seed
    assert document.issuer == "咸宁市教育局"
    assert document.level == "市级"
    assert document.signed_date == "2021-09-03"
    assert document.issue_date == "2022-09-03"
    assert document.published_date == "2022-09-09"
    assert document.validity == "有效"
    assert document.index_no == "011337776/2022-32033"
    assert document.addressees.startswith("各县(市、区)教育局")
    assert any("2022-09-03" in c and "2021-09-03" in c for c in document.conflicts)


@pytest.mark.parametrize("typed", SEED_NUMBER_AS_TYPED)
def test_every_bracket_variant_resolves(corpus_store, typed):
    assert corpus_store.find_document(typed).doc_number == SEED_NUMBER


def test_duties_of_a_unit_by_canonical_name_and_alias(corpus_store):
    assert [t.task_no for t in unit_duties(corpus_store, "局人事科").tasks] == [5, 7, 8]
    assert [t.task_no for t in unit_duties(corpus_store, "人事科").tasks] == [5, 7, 8]
    assert [t.task_no for t in unit_duties(corpus_store, "各县(市、区)教育局").tasks] == list(
        range(1, 11)
    )


def test_duties_of_a_leader(corpus_store):
    duties = leader_duties(corpus_store, "汪金月")
    assert [t.task_no for t in duties.tasks] == [8, 9, 10]
    assert all(t.doc_number == SEED_NUMBER for t in duties.tasks)
