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
    assert set(result) == {"query", "intent", "answer", "hits"}
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
