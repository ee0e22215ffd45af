"""`ask` on the command line: the home body for one question (issue 8, home first)."""

import json

from conftest import CORPUS
from indexer import cli


def ask(capsys, corpus_var, question: str, *options: str) -> dict:
    args = ["--var", str(corpus_var), "--corpus", str(CORPUS), "--lexical-only"]
    assert cli.main([*args, "ask", question, "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)["answer"]


def test_home_decides_among_comparable_matches_and_each_is_labelled(
    capsys, corpus_var, corpus_store
):
    question = "学校美育工作由谁牵头"  # said alike by a province's and several cities' documents
    anywhere = ask(capsys, corpus_var, question, "--home", "")
    places = [anywhere["place"]] + [a["place"] for a in anywhere["alternatives"]]
    assert {"湖北省", "青岛市"} <= set(places) and len(set(places)) == len(places)
    # 咸宁 has no such task: its province's comes first, then the rest as alternatives.
    xianning = ask(capsys, corpus_var, question, "--home", "咸宁市教育局")
    assert xianning["place"] == "湖北省"
    qingdao = ask(capsys, corpus_var, question, "--home", "青岛市教育局")
    assert qingdao["place"] == "青岛市"
    assert anywhere["place"] in {a["place"] for a in qingdao["alternatives"]}


def test_the_home_of_kb_toml_is_the_default(capsys, corpus_var, corpus_store):
    question = "学校美育工作由谁牵头"
    assert ask(capsys, corpus_var, question) == ask(
        capsys, corpus_var, question, "--home", "咸宁市教育局"
    )
