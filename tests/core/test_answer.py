"""The answer function (``ask``): intents, grounded answers, the JSON contract, batch mode."""

import json
import os
import subprocess
import sys

import pytest

from conftest import SEED_NUMBER
from eval.checks import answer_is_correct, load_queries
from indexer.answering.answer import AskOptions
from indexer.config import REPO_ROOT

DEV_QUERIES = REPO_ROOT / "eval" / "dev-queries.jsonl"  # the shared example questions, as given
HIT_KEYS = {
    "clause_id",
    "doc_number",
    "doc_title",
    "path",
    "task_no",
    "lead",
    "units",
    "text",
    "score",
}


def _ask(answerer, question, **options):
    result = answerer.ask(question, AskOptions(**options))
    assert set(result) - {"notice"} == {"query", "intent", "answer", "hits"}
    for hit in result["hits"]:
        assert set(hit) == HIT_KEYS
    return result


def test_every_dev_question_is_answered_right(corpus_answerer):
    wrong = [
        q["id"]
        for q in load_queries(DEV_QUERIES)
        if not answer_is_correct(q, _ask(corpus_answerer, q["q"]))
    ]
    assert wrong == []


def test_who_answers_name_the_task_and_its_clause(corpus_answerer):
    result = _ask(corpus_answerer, "特岗计划谁负责？")
    answer = result["answer"]
    assert (answer["task_no"], answer["lead"], answer["doc_number"]) == (5, ["张海泉"], SEED_NUMBER)
    assert answer["units"] == ["局人事科", "局计划财务科", "各县市区教育局"]
    assert result["hits"][0]["clause_id"] == answer["clause_id"]
    assert "特岗计划" in result["hits"][0]["text"]
    assert len(result["hits"]) == 5


def test_a_paraphrase_reaches_the_right_task(corpus_answerer):
    assert _ask(corpus_answerer, "孩子不上学了找哪个部门")["answer"]["task_no"] == 1


def test_questions_reach_the_right_document_among_eighty(corpus_answerer):
    hubei = _ask(corpus_answerer, "湖北省美育教师培训由哪个部门负责？")
    assert hubei["answer"]["doc_number"] == "鄂政办发〔2016〕32号"
    assert "湖北省教育厅" in hubei["answer"]["units"]
    meiyu = _ask(corpus_answerer, "美育教师培训谁负责")
    assert meiyu["answer"]["doc_number"] != SEED_NUMBER
    assert _ask(corpus_answerer, "特岗计划谁负责")["answer"]["doc_number"] == SEED_NUMBER


def test_unit_and_leader_lists(corpus_answerer):
    unit = _ask(corpus_answerer, "局人事科负责哪些任务？")
    assert [t["task_no"] for t in unit["answer"]["tasks"]] == [5, 7, 8]
    assert {t["doc_number"] for t in unit["answer"]["tasks"]} == {SEED_NUMBER}
    assert [h["task_no"] for h in unit["hits"]] == [5, 7, 8]
    leader = _ask(corpus_answerer, "李祖习分管什么？")
    assert [t["task_no"] for t in leader["answer"]["tasks"]] == [1, 6, 7]


def test_a_unit_of_several_jurisdictions_comes_grouped_by_document(corpus_answerer):
    result = _ask(corpus_answerer, "市教育局负责哪些工作")
    groups = result["answer"]["groups"]
    assert len(groups) >= 3
    names = {g["unit"] for g in groups}
    assert {"青岛市教育局", "大连市教育局"} <= names
    for group in groups:
        assert all(t in {x["clause_id"] for x in result["answer"]["tasks"]} for t in group["tasks"])


@pytest.mark.parametrize(
    "typed",
    [
        "鄂教财〔2021〕1号",
        "鄂教财[2021]1号",
        "鄂教财【2021】1号",
        "鄂教财(2021)1号",
        "鄂教财（２０２１）１号",
        "鄂教财［2021］第1号",
    ],
)
def test_document_numbers_in_every_form(corpus_answerer, typed):
    result = _ask(corpus_answerer, f"{typed}是什么文件？哪些文件引用了它？")
    answer = result["answer"]
    assert result["intent"] == "docnum"
    assert answer["doc_number"] == "鄂教财〔2021〕1号"
    assert "乡村振兴有效衔接" in answer["title"] and answer["in_corpus"] is False
    assert [c["doc_number"] for c in answer["cited_by"]] == [SEED_NUMBER]
    assert "鄂教财〔2021〕1号" in result["hits"][0]["text"]


def test_a_document_in_the_corpus_and_its_citations(corpus_answerer):
    answer = _ask(corpus_answerer, "国办发〔2015〕71号被哪些文件引用")["answer"]
    assert answer["in_corpus"] is True and answer["issuer"] == "国务院办公厅"
    assert len({c["doc_number"] for c in answer["cited_by"]}) >= 20


def test_clause_search_and_doc_scope(corpus_answerer):
    result = _ask(corpus_answerer, "过渡期几年？")
    assert "5年过渡期" in result["hits"][0]["text"]
    assert result["answer"]["clause_id"] == result["hits"][0]["clause_id"]
    scoped = _ask(corpus_answerer, "指导思想", doc="鄂政办发[2016]32号")
    assert {h["doc_number"] for h in scoped["hits"]} == {"鄂政办发〔2016〕32号"}


def test_cli_ask_json_and_jsonl_batch(seed_dir, tmp_path):
    env = {**os.environ, "POLICY_KB_VAR": str(tmp_path / "var"), "POLICY_KB_CORPUS": str(seed_dir)}
    run = lambda *args, **kw: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "indexer", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        **kw,
    )
    run("build")
    single = json.loads(run("ask", "特岗计划谁负责", "--json").stdout)
    assert single["answer"]["lead"] == ["张海泉"]
    questions = "特岗计划谁负责\n局人事科负责哪些任务\n\n咸市教[2021]14号\n"
    lines = run("ask", "--jsonl", input=questions).stdout.splitlines()
    results = [json.loads(line) for line in lines]
    assert [r.get("intent") for r in results] == ["who", "unit", None, "docnum"]
    assert results[2] == {"query": "", "error": "empty question"}
    assert results[3]["answer"]["doc_number"] == SEED_NUMBER


# -- answers that stay right as the corpus grows (issue 8) -------------------------------------


def test_the_task_that_says_it_beats_a_broad_item_of_another_document(corpus_answerer):
    answer = _ask(corpus_answerer, "特殊教育学校布局调整由哪些科室负责")["answer"]
    assert (answer["doc_number"], answer["task_no"]) == (SEED_NUMBER, 4)


def test_a_place_keeps_the_places_within_it(corpus_answerer):
    """咸宁 lies in 湖北: a question naming 湖北 reaches the plan's task 9."""
    answer = _ask(corpus_answerer, "湖北职业教育赋能提质行动由哪个科室负责")["answer"]
    assert (answer["doc_number"], answer["task_no"]) == (SEED_NUMBER, 9)
    assert answer["units"][0] == "局职成教科"


def test_a_clearly_better_task_elsewhere_wins_and_says_where(corpus_answerer):
    answer = _ask(corpus_answerer, "大连市美育名师工作室制度由哪个部门牵头")["answer"]
    assert answer["doc_number"] == "大政办发〔2016〕24号" and answer["place"] == "大连市"


def test_comparable_tasks_of_other_documents_come_as_alternatives(corpus_answerer):
    answer = _ask(corpus_answerer, "美育教师培训谁负责")["answer"]
    alternatives = answer["alternatives"]
    assert alternatives and all(
        set(a) >= {"doc_number", "task_no", "lead", "units", "clause_id"} for a in alternatives
    )
    documents = [a["doc_number"] for a in alternatives]
    assert answer["doc_number"] not in documents and len(documents) == len(set(documents))


def test_units_named_in_part_or_by_abbreviation(corpus_answerer):
    for question in ("后勤工作办公室的职责是什么？", "资助中心在衔接工作里干了哪些事"):
        answer = _ask(corpus_answerer, question)["answer"]
        assert [t["task_no"] for t in answer["tasks"]] == [2], question


def test_this_document_is_the_one_in_scope_else_the_home_document(corpus_answerer):
    home = _ask(corpus_answerer, "这个实施方案是根据哪些文件制定的")
    assert home["intent"] == "basis" and home["answer"]["doc_number"] == SEED_NUMBER
    assert [b["doc_number"] for b in home["answer"]["basis"]] == [
        "咸发〔2021〕10号",
        "鄂教财〔2021〕1号",
    ]
    assert all(b["in_corpus"] is False and b["clause_id"] for b in home["answer"]["basis"])
    other = _ask(corpus_answerer, "这个意见是根据哪些文件出台的？", context="大政办发〔2016〕24号")
    assert {b["doc_number"] for b in other["answer"]["basis"]} == {
        "国办发〔2015〕71号",
        "辽政办发〔2015〕113号",
    }
    provincial = _ask(corpus_answerer, "咸宁教育局那个有效衔接实施方案，依据的省级文件是哪个")
    assert [b["doc_number"] for b in provincial["answer"]["basis"]] == ["鄂教财〔2021〕1号"]


def test_document_facts_name_where_they_were_read(corpus_answerer):
    addressees = _ask(corpus_answerer, "咸市教〔2021〕14号发给了哪些单位")["answer"]["facts"]
    assert addressees[0]["field"] == "addressees" and "局机关各科室" in addressees[0]["value"]
    assert addressees[0]["source"] == "正文抬头（主送机关）"
    dates = {
        f["field"]: f
        for f in _ask(corpus_answerer, "咸市教(2021)14号哪天印发的")["answer"]["facts"]
    }
    assert (
        dates["signed_date"]["value"] == "2021-09-03"
        and dates["signed_date"]["source"] == "落款日期"
    )
    assert dates["issue_date"]["source"] == "页头「发文日期」"
    catalogued = _ask(corpus_answerer, "鄂教财【2021】1号还有效没")["answer"]["facts"]
    assert catalogued[0]["value"] == "有效" and "catalogue" in catalogued[0]["source"]


@pytest.mark.parametrize(
    "question", ["明天咸宁天气怎么样", "？？？。。。", "😂😂👍", "今天股票大盘能涨吗"]
)
def test_nothing_behind_a_question_is_said_so(corpus_answerer, question):
    result = _ask(corpus_answerer, question)
    assert result["answer"]["found"] is False and result["hits"] == []


def test_the_home_body_decides_among_comparable_tasks(corpus_answerer):
    question = "学校美育工作由谁牵头"  # said alike by a province's and several cities' documents
    for home, place in (("咸宁市教育局", "湖北省"), ("青岛市教育局", "青岛市")):
        answer = _ask(corpus_answerer, question, home=home)["answer"]
        assert answer["place"] == place  # 咸宁 has no such task of its own: its province's
        assert len(answer["alternatives"]) >= 2


def test_without_a_home_nothing_is_preferred(corpus_answerer):
    answer = _ask(corpus_answerer, "特岗计划谁负责", home="")["answer"]
    assert answer["doc_number"] == SEED_NUMBER  # still the only document that says it


# -- every sentence findable (issue 12) ----------------------------------------------------------


def test_a_quoted_title_of_no_known_document_is_part_of_the_question(corpus_answerer):
    result = _ask(corpus_answerer, "《北京市体育局关于废止部分规范性文件的通知》起草的背景是什么")
    assert result["intent"] == "search"


def test_a_quoted_title_of_a_known_document_scopes_the_search_to_it(corpus_answerer):
    result = _ask(
        corpus_answerer, "《国务院办公厅关于全面加强和改进学校美育工作的意见》对美育教师有什么要求"
    )
    assert result["intent"] == "search" and result["hits"]
    assert {h["doc_number"] for h in result["hits"]} == {"国办发〔2015〕71号"}


def test_a_one_sentence_item_answers_a_question(corpus_answerer):
    hits = _ask(corpus_answerer, "普通高中美育课程要满足学生什么需要", k=10)["hits"]
    assert any("普通高中美育课程要满足学生不同艺术爱好" in h["text"] for h in hits)
