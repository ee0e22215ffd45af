"""The Streamlit app (app.py and webapp/) driven through AppTest, page by page, over a knowledge
base of its own (the seed, its catalogue and the unit registry, copied to a temporary folder); and
the pure helpers behind it (indexer/present/, webapp/widgets.py, indexer/storage/uploads.py).

The embedding model is the real one; it loads once per test session (st.cache_resource)."""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from conftest import CORPUS, SEED_NUMBER
from fixtures_make import make_corrupt_pdf, make_pdf
from indexer.config import REPO_ROOT
from indexer.present.citations import citation_line, path_markers
from indexer.present.errors import explain_error
from indexer.present.labels import responsibility_line
from indexer.present.matrix import matrix_csv, matrix_xlsx, responsibility_matrix, task_units
from indexer.storage.store import ClauseRecord
from indexer.storage.uploads import NOT_STORED, save_upload
from webapp.widgets import highlight, matrix_html

APP = REPO_ROOT / "app.py"
SEED_FILES = (
    "xianning-jyj-2021-14.txt",
    "related-documents.catalogue.json",
    "units.csv",
    "kb.toml",
)
PLAN = "《咸宁市巩固拓展教育脱贫攻坚成果同乡村振兴有效衔接工作实施方案》"
TIMEOUT = 120

# A notice of two tasks, one naming a unit the registry does not know.
UPLOAD_TEXT = """咸宁市教育局关于做好2022年学校美育工作的通知
咸市教〔2022〕7号
各县(市、区)教育局,局机关各科室:
为加强学校美育工作,现就有关事项通知如下。
一、开齐开足美育课程
各地要按照国家课程方案开齐开足音乐、美术课程,保障美育课时。(牵头领导:李祖习;责任单位:局基础教育科、市美育发展中心)
二、加强美育教师队伍建设
通过“特岗计划”补充美育教师,开展美育教师全员培训。(牵头领导:张海泉;责任单位:局人事科)
咸宁市教育局
2022年3月1日
"""
UPLOAD_NUMBER = "咸市教〔2022〕7号"


# -- driving the app ----------------------------------------------------------------------------


def start_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Go to a page by its url path. AppTest.switch_page resolves page *files* only; these pages
    are functions, and st.navigation knows a page by the hash of its url path."""
    at._page_hash = calc_hash(url_path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="question").input(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_text(at: AppTest) -> str:
    """Everything a reader sees as text: headings, markdown, notes, code and expander labels,
    as rendered (Markdown escapes and HTML entities resolved)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "code", "info"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.label for e in at.expander]
    return rendered("\n".join(parts))


def rendered(source: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", source))


def widget(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def seed_copy(folder: Path) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    for name in SEED_FILES:
        shutil.copy(CORPUS / name, corpus / name)
    return corpus


@pytest.fixture(scope="module")
def seed_kb(tmp_path_factory) -> tuple[Path, Path]:
    """A seed corpus and a var folder the app builds itself on its first run (no store yet)."""
    root = tmp_path_factory.mktemp("app")
    corpus, var = seed_copy(root), root / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLICY_KB_CORPUS", str(corpus))
        patch.setenv("POLICY_KB_VAR", str(var))
        start_app()
    assert (var / "policy.sqlite3").exists()
    return corpus, var


@pytest.fixture
def app(seed_kb, monkeypatch) -> AppTest:
    corpus, var = seed_kb
    monkeypatch.setenv("POLICY_KB_CORPUS", str(corpus))
    monkeypatch.setenv("POLICY_KB_VAR", str(var))
    return start_app()


@pytest.fixture
def upload_app(seed_kb, tmp_path, monkeypatch) -> tuple[AppTest, Path]:
    """A knowledge base of the test's own to add files to: a copy of the built one (so the seed's
    vectors are not computed again), on the 添加文件 page."""
    corpus, var = seed_kb
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(var, tmp_path / "var")
    monkeypatch.setenv("POLICY_KB_CORPUS", str(tmp_path / "corpus"))
    monkeypatch.setenv("POLICY_KB_VAR", str(tmp_path / "var"))
    return open_page(start_app(), "add"), tmp_path / "corpus" / "uploads"


# -- 问答检索 ------------------------------------------------------------------------------------


def test_ask_page_opens_with_the_box_and_examples(app):
    assert app.title[0].value == "问答检索"
    assert app.text_input(key="question").value == ""
    assert "特岗计划谁负责？" in app.pills(key="example").options


def test_who_card_names_the_official_the_units_and_the_clause(app):
    ask(app, "特岗计划谁负责")
    card = shown_text(app)
    assert (
        "任务5" in app.subheader[0].value and "进一步加强乡村教师队伍建设" in app.subheader[0].value
    )
    assert "张海泉" in card and "局人事科" in card and "局计划财务科" in card
    assert "实施“<mark>特岗计划</mark>”" in card  # the clause text, the asked term marked
    assert app.code[0].value == f"{PLAN}（{SEED_NUMBER}）二、（二）5."


def test_who_card_links_to_the_documents_matrix(app):
    ask(app, "特岗计划谁负责")
    widget(app.button, "查看这份文件的完整责任清单").click().run()
    assert app.title[0].value == "责任清单"
    assert any("<tr data-task='5'>" in m.value for m in app.markdown)


def test_document_number_in_square_brackets_gives_the_document_card(app):
    ask(app, "咸市教[2021]14号")
    card = shown_text(app)
    assert "印发《咸宁市巩固拓展教育脱贫攻坚成果" in app.subheader[0].value
    assert f":gray-badge[{SEED_NUMBER}]" in card and "正文已收录" in card
    assert "咸宁市教育局" in card and "2021-09-03" in card and "2022-09-03" in card
    assert any(
        "2022-09-03" in rendered(w.value) and "2021-09-03" in rendered(w.value) for w in app.warning
    )
    assert "咸发〔2021〕10号" in card and "鄂教财〔2021〕1号" in card  # what it cites
    widget(app.button, "在文件库中查看全文结构").click().run()
    assert app.title[0].value == "文件库"
    assert "一、总体要求" in shown_text(app)  # the outline


def test_a_cited_document_without_text_shows_who_cites_it(app):
    ask(app, "鄂教财〔2021〕1号是什么文件？哪些文件引用了它？")
    card = shown_text(app)
    assert "正文未收录" in card
    assert "引用了这份文件的条款（1）" in card
    assert "<mark>鄂教财〔2021〕1号</mark>" in card


def test_example_question_answers_a_leaders_tasks(app):
    app.pills(key="example").set_value("李祖习分管什么？").run()
    assert app.text_input(key="question").value == "李祖习分管什么？"
    labels = [e.label for e in app.expander]
    assert [label.split("　")[0] for label in labels] == ["任务1", "任务6", "任务7"]
    assert f"{PLAN}（{SEED_NUMBER}）" in shown_text(app)


def test_unit_question_lists_its_tasks(app):
    ask(app, "局人事科负责哪些任务？")
    assert "局人事科 承担 3 项任务" in app.subheader[0].value
    assert [e.label.split("　")[0] for e in app.expander] == ["任务5", "任务7", "任务8"]


def test_question_from_the_address_bar_searches_clauses(app):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["q"] = "过渡期几年？"  # as in /ask?q=过渡期几年？
    at.run()
    assert at.text_input(key="question").value == "过渡期几年？"
    assert "设立5年<mark>过渡期</mark>" in shown_text(at)
    assert f"{PLAN}（{SEED_NUMBER}）一、（三）" in [c.value for c in at.code]


def test_lead_official_filter_narrows_the_search(app):
    widget(app.sidebar.selectbox, "牵头领导").set_value("汪金月").run()
    ask(app, "培训")
    cited = [c.value for c in app.code]
    assert cited and all(c.endswith(("（三）8.", "（三）9.", "（三）10.")) for c in cited)


# -- 责任清单 ------------------------------------------------------------------------------------


def test_matrix_shows_task_five_with_its_people(app):
    open_page(app, "matrix")
    table = next(m.value for m in app.markdown if "kb-matrix" in m.value)
    header = re.findall(r"<th[^>]*>(.*?)</th>", table)
    task5 = re.search(r"<tr data-task='5'>(.*)</tr>", table).group(1)
    row = dict(zip(header, map(rendered, re.findall(r"<td[^>]*>(.*?)</td>", task5)), strict=True))
    assert row["任务"] == "进一步加强乡村教师队伍建设"
    assert row["条款"] == "二、（二）5."
    assert row["牵头领导"] == "张海泉"
    assert row["局人事科"] == "●" and row["局计划财务科"] == "●"
    assert row["局基础教育科"] == ""
    assert {b.label for b in app.download_button} == {"下载 Excel", "下载 CSV"}


def test_matrix_unit_choice_shows_its_duties(app):
    open_page(app, "matrix")
    app.pills(key=f"matrix_unit_{SEED_NUMBER}").set_value("局人事科").run()
    assert [e.label.split("　")[0] for e in app.expander] == ["任务5", "任务7", "任务8"]


# -- 文件库 --------------------------------------------------------------------------------------


def test_document_library_lists_documents_and_flags_the_date_conflict(app):
    open_page(app, "documents")
    table = app.dataframe[0].value
    assert SEED_NUMBER in set(table["文号"]) and "鄂教财〔2021〕1号" in set(table["文号"])
    seed = table[table["文号"] == SEED_NUMBER].iloc[0]
    assert seed["正文"] == "已收录" and seed["提示"].startswith("⚠")
    # Nothing picked: the first document's details, its outline and its conflicts.
    text = shown_text(app)
    assert "5.进一步加强乡村教师队伍建设" in text and "任务5" in text
    assert any("2021-09-03" in rendered(w.value) for w in app.warning)


def test_document_library_search_finds_a_citation_only_entry(app):
    open_page(app, "documents")
    widget(app.text_input, "搜索标题或文号").input("鄂教财[2021]1号").run()
    assert list(app.dataframe[0].value["文号"]) == ["鄂教财〔2021〕1号"]
    text = shown_text(app)
    assert "正文未收录" in text and "引用本文件的条款（1）" in text


# -- 添加文件 ------------------------------------------------------------------------------------


def test_uploaded_pdf_is_kept_indexed_and_answerable_then_removed(upload_app, tmp_path):
    at, uploads = upload_app
    pdf = make_pdf(UPLOAD_TEXT, tmp_path / "美育通知.pdf", header=None).read_bytes()
    at.file_uploader[0].set_value(("美育通知.pdf", pdf, "application/pdf")).run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]

    report = at.dataframe[0].value.iloc[0]
    assert report["结果"] == "已加入知识库" and report["文号"] == UPLOAD_NUMBER
    assert report["任务"] == 2 and report["条款"] >= 3
    assert "美育发展中心" in report["名录外单位"]
    assert (uploads / "美育通知.pdf").read_bytes() == pdf  # the original, unchanged
    assert "二、加强美育教师队伍建设" in shown_text(at)  # its clauses, as found

    open_page(at, "ask")
    ask(at, "美育教师培训谁负责")
    assert at.code[0].value.startswith(
        f"《咸宁市教育局关于做好2022年学校美育工作的通知》（{UPLOAD_NUMBER}）二、"
    )

    open_page(at, "add")
    at.button(key=f"remove-add-{UPLOAD_NUMBER}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not (uploads / "美育通知.pdf").exists()
    assert "还没有通过本页添加的文件。" in shown_text(at)


def test_a_broken_file_gets_its_error_and_the_rest_goes_in(upload_app, tmp_path):
    at, uploads = upload_app
    broken = make_corrupt_pdf(tmp_path / "broken.pdf").read_bytes()
    text = UPLOAD_TEXT.encode("utf-8")
    at.file_uploader[0].set_value(
        [("broken.pdf", broken, "application/pdf"), ("notice.txt", text, "text/plain")]
    ).run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]

    report = at.dataframe[0].value.set_index("文件")
    assert report.loc["broken.pdf", "结果"] == "失败"
    assert report.loc["notice.txt", "结果"] == "已加入知识库"
    assert any("broken.pdf" in rendered(e.value) and "已损坏" in e.value for e in at.error)
    assert sorted(p.name for p in uploads.iterdir()) == ["notice.txt"]  # the broken one not kept

    open_page(at, "ask")
    ask(at, "控辍保学谁负责")
    assert at.code[0].value == f"{PLAN}（{SEED_NUMBER}）二、（一）1."


# -- helpers ------------------------------------------------------------------------------------


def _clause(task_no: int, path: list[str], leads: list[str], roles: dict[str, str]) -> ClauseRecord:
    return ClauseRecord(
        clause_id=f"c{task_no}",
        doc_id="d",
        doc_number="X〔2021〕1号",
        doc_title="T",
        ordinal=task_no,
        level=len(path),
        kind="item",
        marker="",
        path=path,
        title=path[-1][2:],
        text=path[-1],
        start=0,
        end=0,
        task_no=task_no,
        parent_id=None,
        note=None,
        leads=leads,
        units=list(roles),
        unit_roles=roles,
    )


def test_citation_line_takes_the_markers_of_the_path():
    path = ["二、重点任务", "（一）巩固义务教育有保障成果", "1.巩固义务教育控辍保学成果"]
    assert (
        citation_line("关于印发《方案》的通知", SEED_NUMBER, path)
        == f"《关于印发〈方案〉的通知》（{SEED_NUMBER}）二、（一）1."
    )
    paragraph = ["一、总体要求", "（二）基本原则", "坚持总体稳定、有序过渡"]
    assert path_markers(paragraph) == "一、（二）“坚持总体稳定、有序过渡”"
    assert path_markers(["实施“特岗计划”补充教师队伍并开展全员培训工作"]) == (
        "“实施‘特岗计划’补充教师队伍并开…”"
    )


def test_highlight_marks_whole_terms_and_escapes():
    # 计划 is part of 特岗计划, which the text holds whole: only the whole term is marked.
    assert highlight("实施“特岗计划”,落实<计划>。", ["计划", "特岗计划", "实"]) == (
        "实施“<mark>特岗计划</mark>”,落实&lt;计划&gt;。"
    )
    assert highlight("银龄计划", ["计划", "特岗计划"]) == "银龄<mark>计划</mark>"
    assert highlight("没有命中", ["特岗"]) == "没有命中"


def test_matrix_and_its_exports():
    tasks = [
        _clause(1, ["二、任务", "1.甲"], ["李"], {"局人事科": "responsible", "教育局": "lead"}),
        _clause(2, ["二、任务", "2.乙"], [], {"教育局": "cooperating"}),
    ]
    matrix = responsibility_matrix(tasks)
    assert list(matrix.columns) == ["序号", "任务", "条款", "牵头领导", "教育局", "局人事科"]
    assert matrix.iloc[0].tolist() == [1, "甲", "二、1.", "李", "牵头", "●"]
    assert matrix.iloc[1].tolist() == [2, "乙", "二、2.", "", "配合", ""]
    assert task_units(tasks) == [("教育局", 2), ("局人事科", 1)]

    page = matrix_html(matrix)
    assert "<tr data-task='1'><td class='kb-no'>1</td><td class='kb-task'>甲</td>" in page
    assert page.count("<tr data-task=") == 2 and "各单位任务数" in page

    csv = matrix_csv(matrix)
    assert csv.startswith("\ufeff".encode()) and "局人事科" in csv.decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(matrix_xlsx(matrix, "标题"))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "标题"
    assert rows[1] == list(matrix.columns)
    assert rows[2][:6] == [1, "甲", "二、1.", "李", "牵头", "●"]
    assert rows[-1] == ["各单位任务数", None, None, None, 2, 1]


def test_uploads_keep_their_bytes_and_never_overwrite(tmp_path):
    first = save_upload(tmp_path, "../通知.txt", b"one")
    assert first == tmp_path / "通知.txt" and first.read_bytes() == b"one"
    assert save_upload(tmp_path, "通知.txt", b"one") == first  # the same file once
    second = save_upload(tmp_path, "通知.txt", b"two")
    assert second.name == "通知-2.txt" and first.read_bytes() == b"one"


def test_load_errors_are_explained_in_chinese():
    assert "已损坏" in explain_error("corrupt PDF: the file is truncated")
    assert "扫描件" in explain_error("no text layer in 2 page(s): looks like a scanned")
    assert ".docx" in explain_error("unsupported file type .doc, old Word 97-2003 format")
    assert explain_error("something new") == "无法读取这个文件的文字。"


def test_build_failures_and_limits_are_explained_too():
    assert explain_error("could not be read (KeyError: 1)") == "无法读取这个文件。"
    assert explain_error(NOT_STORED) == "建立索引时没有得到文件内容。"
    assert "处理上限" in explain_error("upload of 25.3, over the limit of 20 (max_upload_mb)")
    assert "处理上限" in explain_error("parsing took longer than 60 s, the limit (parse_seconds)")


def test_responsibility_line_names_each_role():
    roles = {"局基础教育科": "responsible", "教育局": "lead", "团市委": "cooperating"}
    assert responsibility_line(["李祖习"], roles) == (
        "牵头领导: 李祖习  牵头单位: 教育局  责任单位: 局基础教育科  配合单位: 团市委"
    )
    assert responsibility_line([], {}) == ""


# -- document text is text --------------------------------------------------------------------

HOSTILE = """咸宁市教育局关于[点我领奖](https://evil.example/a)的通知
咸市教〔2022〕9号
各县(市、区)教育局:
一、![](https://evil.example/pixel.png)
按要求开展**美育**宣传，详见[链接](https://evil.example/b)。(牵头领导:李祖习;责任单位:局基础教育科、[假单位](https://evil.example/c))
咸宁市教育局
2022年3月1日
"""
_LIVE_MARKDOWN = re.compile(r"(?<!\\)\]\((?!\s)|(?<!\\)!\[|(?<!\\)\*\*美育")


def _markdown_sources(at: AppTest) -> list[str]:
    values = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error"):
        values += [str(e.value) for e in getattr(at, kind)]
    return values + [e.label for e in at.expander]


def test_links_and_images_in_documents_show_as_text_on_every_page(tmp_path, monkeypatch):
    corpus = seed_copy(tmp_path)
    (corpus / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    monkeypatch.setenv("POLICY_KB_CORPUS", str(corpus))
    monkeypatch.setenv("POLICY_KB_VAR", str(tmp_path / "var"))
    at = start_app()
    for question in ("美育宣传谁负责", "美育宣传", "咸市教〔2022〕9号"):
        ask(at, question)
        assert "evil.example" in shown_text(at)  # the text is shown …
        assert not [v for v in _markdown_sources(at) if _LIVE_MARKDOWN.search(v)]  # … as text
    at.session_state["matrix_doc"] = "咸市教〔2022〕9号"
    open_page(at, "matrix")
    assert "evil.example" in shown_text(at)
    assert not [v for v in _markdown_sources(at) if _LIVE_MARKDOWN.search(v)]
    at.session_state["doc_focus"] = "咸市教〔2022〕9号"
    open_page(at, "documents")
    assert "点我领奖" in shown_text(at)
    assert not [v for v in _markdown_sources(at) if _LIVE_MARKDOWN.search(v)]


def test_document_questions_are_answered_from_the_card_and_nothing_invented(app):
    ask(app, "这个实施方案是根据哪些文件制定的")
    shown = shown_text(app)
    assert "制定依据" in shown and "咸发〔2021〕10号" in shown and "鄂教财〔2021〕1号" in shown
    ask(app, "咸市教〔2021〕14号发给了哪些单位")
    assert "主送机关" in shown_text(app) and "正文抬头" in shown_text(app)
    ask(app, "明天咸宁天气怎么样")
    assert any("没有找到" in rendered(w.value) for w in app.warning)


def test_the_home_body_can_be_changed_for_the_session(app):
    home = widget(app.sidebar.selectbox, "本单位（其文件优先）")
    assert home.value == "咸宁市教育局"
    home.set_value("").run()
    assert not app.exception
    ask(app, "特岗计划谁负责？")
    assert "张海泉" in shown_text(app)
