"""公文知识库 — the Streamlit app. Run with ``streamlit run app.py``.

A thin shell over the core: answers come from ``Answerer.ask`` (the function behind
``python -m indexer ask``), building from ``kb.build_store``, everything else from ``Store`` reads.
Every answer shows the clause it stands on; nothing is generated.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from indexer.answering.answer import Answerer, AskOptions
from indexer.answering.duties import leader_duties, unit_duties
from indexer.config import Settings, settings
from indexer.ingest.formats import LoadError
from indexer.ingest.segment import SegmentError
from indexer.kb import build_store, open_answerer, store_is_empty
from indexer.present import app_support as support
from indexer.retrieval.search import SearchFilters
from indexer.storage.store import ClauseRecord, DocumentRecord, Store

if TYPE_CHECKING:
    from indexer.retrieval.encoder import Encoder

SEED_NUMBER = "咸市教〔2021〕14号"
EXAMPLES = (
    "特岗计划谁负责？",
    "孩子不上学了找哪个部门",
    "局人事科负责哪些任务？",
    "李祖习分管什么？",
    "鄂教财〔2021〕1号是什么文件？哪些文件引用了它？",
    "过渡期几年？",
    "湖北省美育教师培训由哪个部门负责？",
)
INTENT_LABELS = {
    "who": "谁负责",
    "unit": "单位职责",
    "leader": "领导分管",
    "docnum": "文件查询",
    "search": "条款检索",
}
UPLOAD_STATUS = {
    "新增": "已加入知识库",
    "更新": "已更新",
    "并入": "已并入知识库中的同一文件（作为它的另一份原件）",
    "未变化": "知识库中已有这份文件，内容相同",
}
WEAK = 0.6  # a search hit scoring under this share of the best one is shown as a weak match
ROLE_COLORS = {"lead": "violet", "responsible": "blue", "cooperating": "gray"}
STYLE = """
<style>
mark { background: #ffe58f; padding: 0 .1em; border-radius: 2px; }
.kb-text { font-size: 1.02rem; line-height: 1.9; margin: .2rem 0 .6rem 0; }
.kb-path { color: #555; font-size: .9rem; }
.kb-facts { border-collapse: collapse; margin: .3rem 0 .8rem 0; }
.kb-facts td { padding: .25rem .9rem .25rem 0; vertical-align: top; border: none; }
.kb-facts td:first-child { color: #666; white-space: nowrap; }
.kb-outline div { line-height: 1.75; }
.kb-tag { display: inline-block; font-size: .78rem; padding: 0 .45em; margin-left: .4em;
          border-radius: .4em; background: #e8f0fe; color: #1a56db; }
.kb-people { color: #666; font-size: .85rem; margin-left: .4em; }
.kb-context div { padding: .3rem .6rem; margin: .2rem 0; color: #666; }
.kb-context .kb-here { border-left: 3px solid #ff4b4b; color: inherit; background: #fafafa; }
.kb-scroll { overflow-x: auto; }
.kb-matrix { border-collapse: collapse; width: 100%; font-size: .88rem; }
.kb-matrix th, .kb-matrix td { border: 1px solid #d9d9d9; padding: .35rem .45rem; }
.kb-matrix th { background: #f0f4fa; font-weight: 600; vertical-align: bottom; }
.kb-matrix th.kb-unit { min-width: 3.6em; text-align: center; }
.kb-matrix td.kb-no { text-align: center; color: #666; }
.kb-matrix td.kb-task { min-width: 10em; }
.kb-matrix td.kb-nowrap { white-space: nowrap; }
.kb-matrix td.kb-mark { text-align: center; font-weight: 600; color: #1a56db; }
.kb-matrix tr.kb-total td { background: #fafafa; font-weight: 600; }
</style>
"""

# Filled by main() on every run, so pages can link to each other.
PAGES: dict[str, StreamlitPage] = {}


# -- the knowledge base, loaded once per store generation ----------------------------------------


@st.cache_resource(show_spinner=False)
def _first_build(var_dir: str, corpus_dir: str) -> bool:
    """Build the store when it is missing (the README's run command builds it first anyway)."""
    config = settings(var_dir, corpus_dir)
    if store_is_empty(config):
        build_store(config)
        return True
    return False


@st.cache_resource(show_spinner=False)
def _encoder(model: str) -> Encoder:
    from indexer.retrieval.encoder import (
        load_encoder,  # torch is imported only when the model is needed
    )

    return load_encoder(model or None)


# Keyed by the store's generation: a build by the app or the CLI gives a new one.
@st.cache_resource(show_spinner=False, max_entries=4)
def _store(store_path: str, generation: str) -> Store:
    return Store(Path(store_path))


@st.cache_resource(show_spinner=False, max_entries=2)
def _answerer(var_dir: str, corpus_dir: str, model: str, generation: str) -> Answerer:
    config = settings(var_dir, corpus_dir, model or None)
    return open_answerer(config, encoder=_encoder(model))


@dataclass
class KnowledgeBase:
    config: Settings
    store: Store
    generation: str
    _titles: dict[str, list[ClauseRecord]] = field(default_factory=dict)

    def answerer(self) -> Answerer:
        with st.spinner("正在加载检索模型，首次打开约需十秒…"):
            return _answerer(
                str(self.config.var_dir),
                str(self.config.corpus_dir),
                self.config.model or "",
                self.generation,
            )

    def title_of(self, clause: ClauseRecord) -> str:
        """The title the clause is cited under (the plan a notice issues, else the document)."""
        if clause.doc_id not in self._titles:
            self._titles[clause.doc_id] = self.store.clauses(clause.doc_id)
        return support.source_title(clause, self._titles[clause.doc_id])

    def citation(self, clause: ClauseRecord) -> str:
        return support.citation_line(self.title_of(clause), clause.doc_number, clause.path)

    def heading(self, clause: ClauseRecord) -> str:
        """《title》（文号） for a group of clauses of one document."""
        number = f"（{clause.doc_number}）" if clause.doc_number else ""
        return support.quoted_title(self.title_of(clause)) + number

    def document_of(self, text: str) -> DocumentRecord | None:
        return self.store.find_document(text) or next(
            iter(self.store.find_documents_by_title(text)), None
        )


def knowledge_base() -> KnowledgeBase:
    config = settings()
    with st.spinner("首次启动：正在建立知识库，请稍候…"):
        _first_build(str(config.var_dir), str(config.corpus_dir))
    generation = support.store_generation(config)
    return KnowledgeBase(config, _store(str(config.store_path), generation), generation)


def refreshed_knowledge_base() -> KnowledgeBase:
    """After an upload or a removal: drop the old store and index, open (and index) the new."""
    _store.clear()
    _answerer.clear()
    kb = knowledge_base()
    kb.answerer()
    return kb


# -- small pieces shared by the pages -----------------------------------------------------------


def _escape_badge(text: str) -> str:
    return text.replace("[", "［").replace("]", "］")


def people_markdown(clause: ClauseRecord) -> str:
    """牵头领导 and 责任单位 as tags; a unit's role shows when it is not plainly 责任."""
    lines = []
    if clause.leads:
        tags = " ".join(
            f":red-badge[:material/person: {_escape_badge(name)}]" for name in clause.leads
        )
        lines.append(f"**牵头领导**　{tags}")
    if clause.units:
        tags = []
        for unit in clause.units:
            role = clause.unit_roles.get(unit, "responsible")
            suffix = f"（{support.ROLE_LABELS[role]}）" if role != "responsible" else ""
            tags.append(f":{ROLE_COLORS.get(role, 'blue')}-badge[{_escape_badge(unit)}{suffix}]")
        lines.append(f"**责任单位**　{' '.join(tags)}")
    return "  \n".join(lines)


def facts_table(pairs: Iterable[tuple[str, str | None]]) -> None:
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>"
        for label, value in pairs
        if value
    )
    if rows:
        st.markdown(f"<table class='kb-facts'>{rows}</table>", unsafe_allow_html=True)


def clause_text(text: str, terms: Iterable[str] = ()) -> None:
    body = support.highlight(text, terms).replace("\n", "<br>")
    st.markdown(f"<div class='kb-text'>{body}</div>", unsafe_allow_html=True)


def breadcrumb(clause: ClauseRecord, rank: int | None = None) -> None:
    parts = [clause.doc_number or clause.doc_title, *clause.path[:-1]]
    prefix = f"**{rank}.** " if rank else ""
    path = html.escape(" › ".join(parts))
    st.markdown(f"{prefix}<span class='kb-path'>{path}</span>", unsafe_allow_html=True)


def citation(kb: KnowledgeBase, clause: ClauseRecord) -> None:
    """The citation line in standard form; st.code gives it a copy button."""
    st.caption("出处（可复制）")
    st.code(kb.citation(clause), language=None, wrap_lines=True)


def context_view(kb: KnowledgeBase, clause: ClauseRecord) -> None:
    """The headings above the clause and the clauses just before and after it."""
    if clause.path[:-1]:
        st.markdown(f"**所在位置**　{' › '.join(clause.path[:-1])}")
    blocks = []
    for near in kb.store.neighbours(clause.clause_id):
        here = near.clause_id == clause.clause_id
        text = near.text if len(near.text) <= 160 else near.text[:160] + "…"
        blocks.append(f"<div class='{'kb-here' if here else ''}'>{html.escape(text)}</div>")
    st.markdown(f"<div class='kb-context'>{''.join(blocks)}</div>", unsafe_allow_html=True)


def clause_card(
    kb: KnowledgeBase,
    clause: ClauseRecord,
    terms: Iterable[str] = (),
    *,
    rank: int | None = None,
    people: bool = True,
    nested: bool = False,
) -> None:
    """A clause with its place, people, text and citation, and its context one click away.
    Inside an expander (``nested``) the context opens in a pop-over: expanders cannot nest."""
    breadcrumb(clause, rank)
    if people and clause.is_task:
        st.markdown(people_markdown(clause))
    clause_text(clause.text, terms)
    citation(kb, clause)
    with (
        st.popover("查看上下文", icon=":material/unfold_more:")
        if nested
        else st.expander("查看上下文")
    ):
        context_view(kb, clause)


def task_label(clause: ClauseRecord, role: str = "") -> str:
    number = f"任务{clause.task_no}　" if clause.task_no else ""
    role_text = f"（{support.ROLE_LABELS[role]}）" if role in support.ROLE_LABELS else ""
    return f"{number}{clause.title}{role_text}"


def go_to(page: str, **state: object) -> None:
    st.session_state.update(state)
    st.switch_page(PAGES[page])


# -- 问答检索 --------------------------------------------------------------------------------------


def _use_example() -> None:
    st.session_state.question = st.session_state.example or ""
    st.session_state.example = None


def ask_filters(kb: KnowledgeBase) -> tuple[AskOptions, list[str]]:
    """The sidebar's filters as AskOptions, and a description of the active ones."""
    store = kb.store
    documents = store.documents()
    by_id = {d.doc_id: d for d in documents if d.in_corpus}
    unit_counts = dict(support.task_units(store.tasks()))
    validities = sorted({d.validity for d in documents if d.validity})
    with st.sidebar:
        st.subheader("筛选")
        doc_ids = st.multiselect(
            "文件",
            list(by_id),
            format_func=lambda i: support.document_label(by_id[i], 30),
            placeholder="全部",
        )
        unit = st.selectbox(
            "责任单位",
            [None, *unit_counts],
            format_func=lambda u: "全部" if u is None else f"{u}（{unit_counts[u]}项）",
        )
        leader = st.selectbox(
            "牵头领导", [None, *store.leaders()], format_func=lambda p: "全部" if p is None else p
        )
        levels = st.multiselect("级别", support.LEVELS, placeholder="全部")
        validity = st.multiselect("有效性", validities, placeholder="全部") if validities else []
        k = st.slider("显示条数", 3, 20, 5)

    active = []
    filters = SearchFilters()
    if doc_ids:
        filters.doc_ids = set(doc_ids)
        active.append("文件：" + "、".join(by_id[i].doc_number or by_id[i].title for i in doc_ids))
    if levels:
        filters.levels = set(levels)
        active.append("级别：" + "、".join(levels))
    if validity:
        filters.validity = set(validity)
        active.append("有效性：" + "、".join(validity))
    if unit or leader:
        tasks: set[str] | None = None
        if unit:
            tasks = {t.clause_id for t in unit_duties(store, unit).tasks}
            active.append(f"责任单位：{unit}")
        if leader:
            led = {t.clause_id for t in leader_duties(store, leader).tasks}
            tasks = led if tasks is None else tasks & led
            active.append(f"牵头领导：{leader}")
        filters.clause_ids = support.clauses_under(store, tasks or set())
    # One chosen document with a 文号 goes in as AskOptions.doc too: a place named in the
    # question then cannot widen the search past it (the answerer lets places replace doc_ids).
    single = by_id[doc_ids[0]] if len(doc_ids) == 1 else None
    options = AskOptions(
        k=k,
        doc=single.doc_number if single and single.doc_number else None,
        filters=None if filters.is_empty() else filters,
    )
    return options, active


def ask(kb: KnowledgeBase, answerer: Answerer, question: str, options: AskOptions) -> dict:
    """The answer, kept while the question, the filters and the store stay the same."""
    key = (question, repr(options), kb.generation)
    cached = st.session_state.get("last_answer")
    if cached and cached[0] == key:
        return cached[1]
    result = answerer.ask(question, options)
    st.session_state.last_answer = (key, result)
    return result


def ask_page() -> None:
    kb = knowledge_base()
    st.title("问答检索")
    st.caption("用一句话提问。每个答案都注明出自哪份文件的哪一条，可直接复制引用。")
    if "question" not in st.session_state:
        st.session_state.question = st.query_params.get("q") or st.session_state.get(
            "last_question", ""
        )
    left, right = st.columns([8, 1], vertical_alignment="bottom")
    left.text_input(
        "问题",
        key="question",
        placeholder="例如：特岗计划谁负责？　局人事科负责哪些任务？　鄂教财〔2021〕1号是什么文件？",
        label_visibility="collapsed",
    )
    right.button("查询", type="primary", width="stretch")
    st.pills("可以这样问：", EXAMPLES, key="example", on_change=_use_example)
    options, active = ask_filters(kb)

    question = st.session_state.question.strip()
    st.session_state.last_question = question
    answerer = kb.answerer()  # loads while the page above is already on screen
    if not question:
        st.query_params.pop("q", None)
        st.info(
            "可以问：某项工作**谁负责**、某个科室或单位**负责哪些任务**、某位领导**分管什么**、"
            "某个**文号**是什么文件，或直接输入关键词查找条款。"
        )
        return
    st.query_params["q"] = question
    result = ask(kb, answerer, question, options)
    st.divider()
    kind = result["intent"]
    note = f"按「{INTENT_LABELS.get(kind, kind)}」理解这个问题"
    if active:
        note += "　·　已筛选：" + "；".join(active)
    st.caption(note)
    terms = answerer.index.tokenizer.tokens(result["query"])
    if kind == "who" and "lead" in result["answer"]:
        render_who(kb, result, terms)
    elif kind in ("unit", "leader"):
        render_duties(kb, result, terms)
    elif kind == "docnum":
        render_document_answer(kb, result)
    else:
        render_search(kb, result, terms)


def render_who(kb: KnowledgeBase, result: dict, terms: list[str]) -> None:
    answer = result["answer"]
    best = kb.store.clause(answer["clause_id"])
    if best is None:
        render_search(kb, result, terms)
        return
    with st.container(border=True):
        st.subheader(task_label(best))
        st.markdown(people_markdown(best))
        clause_card(kb, best, terms, people=False)
        if st.button("查看这份文件的完整责任清单", icon=":material/table_view:"):
            go_to("matrix", matrix_doc=best.doc_id)
    others = [h for h in result["hits"] if h["clause_id"] != best.clause_id]
    if others:
        st.markdown("**其他可能相关的任务**")
        for clause in kb.store.clauses_by_id(h["clause_id"] for h in others):
            people = "、".join([*clause.leads, *clause.units[:2]])
            with st.expander(f"{task_label(clause)}　—　{people}"):
                clause_card(kb, clause, terms, nested=True)


def render_duties(kb: KnowledgeBase, result: dict, terms: list[str]) -> None:
    answer, kind = result["answer"], result["intent"]
    names = "、".join(answer.get(kind, [])) or result["query"]
    tasks = answer["tasks"]
    if not tasks:
        st.warning(f"没有找到{names}承担的任务。")
        return
    verb = "牵头" if kind == "leader" else "承担"
    st.subheader(f"{names} {verb} {len(tasks)} 项任务")
    role_of = {t["clause_id"]: t["role"] for t in tasks}
    clauses = {c.clause_id: c for c in kb.store.clauses_by_id(role_of)}
    for group in answer["groups"]:
        members = [clauses[i] for i in group["tasks"] if i in clauses]
        if not members:
            continue
        st.markdown(f"**{kb.heading(members[0])}**")
        for clause in members:
            # The other side of the answer at a glance: a unit's officials, an official's units.
            others = clause.leads if kind == "unit" else clause.units[:3]
            label = task_label(clause, role_of.get(clause.clause_id, ""))
            with st.expander(f"{label}　—　{'、'.join(others)}" if others else label):
                clause_card(kb, clause, terms, nested=True)


def render_document_answer(kb: KnowledgeBase, result: dict) -> None:
    answer = result["answer"]
    if not answer.get("found"):
        number = answer.get("doc_number") or result["query"]
        st.warning(f"知识库中没有找到 {number} 这份文件。")
        st.page_link(
            PAGES["add"], label="如有原文，可以在「添加文件」页上传", icon=":material/upload_file:"
        )
        return
    document = kb.document_of(answer["doc_number"] or answer["title"])
    with st.container(border=True):
        st.subheader(answer["title"] or answer["doc_number"])
        st.markdown(
            document_badges(
                answer["doc_number"],
                answer.get("level"),
                answer.get("validity"),
                answer["in_corpus"],
            )
        )
        facts_table(
            [
                ("发文单位", answer.get("issuer")),
                ("成文日期", answer.get("signed_date")),
                ("发文日期", answer.get("issue_date")),
                ("发布日期", answer.get("published_date")),
            ]
        )
        for conflict in answer.get("conflicts") or []:
            st.warning(f"信息不一致：{conflict}", icon=":material/warning:")
        if not answer["in_corpus"]:
            st.info("知识库里只有这份文件的目录信息，正文未收录。如有原文，可以上传后检索其条款。")
            st.page_link(PAGES["add"], label="去「添加文件」", icon=":material/upload_file:")
        elif document is not None and st.button(
            "在文件库中查看全文结构", icon=":material/account_tree:"
        ):
            go_to("documents", doc_focus=document.doc_id)
    citing = answer.get("cited_by") or []
    st.markdown(
        f"**引用了这份文件的条款（{len(citing)}）**" if citing else "**暂无其他文件引用它**"
    )
    number = answer.get("doc_number") or ""
    for clause in kb.store.clauses_by_id(c["clause_id"] for c in citing):
        with st.expander(f"{kb.heading(clause)}　{support.path_markers(clause.path)}"):
            clause_card(kb, clause, [number] if number else [], nested=True)
    if document is not None and answer["in_corpus"]:
        cited = [
            row["cited_number"] or f"《{row['cited_title']}》"
            for row in kb.store.cites(document.doc_id)
        ]
        if cited:
            st.markdown(f"**这份文件引用了**：{'、'.join(cited)}")


def document_badges(
    doc_number: str | None, level: str | None, validity: str | None, in_corpus: bool
) -> str:
    tags = []
    if doc_number:
        tags.append(f":gray-badge[{doc_number}]")
    if level:
        tags.append(f":blue-badge[{level}]")
    if validity:
        tags.append(f":{'green' if validity == '有效' else 'orange'}-badge[{validity}]")
    tags.append(":green-badge[正文已收录]" if in_corpus else ":orange-badge[正文未收录]")
    return " ".join(tags)


def render_search(kb: KnowledgeBase, result: dict, terms: list[str]) -> None:
    hits = result["hits"]
    if not hits:
        st.warning("没有找到相关条款。可以换个说法，或减少筛选条件。")
        return
    clauses = kb.store.clauses_by_id(h["clause_id"] for h in hits)
    strong = [
        c for c, h in zip(clauses, hits, strict=True) if h["score"] >= WEAK * hits[0]["score"]
    ]
    st.markdown(f"找到 **{len(hits)}** 条相关条款，最相关的在前：")
    for rank, clause in enumerate(strong, 1):
        with st.container(border=True):
            clause_card(kb, clause, terms, rank=rank)
    weak = clauses[len(strong) :]
    if weak:
        # Kept, not dropped: a weak match may still be the one wanted, but it should not look
        # as good as the clauses above it.
        with st.expander(f"相关度较低的条款（{len(weak)}）"):
            for rank, clause in enumerate(weak, len(strong) + 1):
                clause_card(kb, clause, terms, rank=rank, nested=True)


# -- 责任清单 --------------------------------------------------------------------------------------


def matrix_page() -> None:
    kb = knowledge_base()
    st.title("责任清单")
    st.caption("每项任务由谁牵头、哪些单位负责，一表看清。点选下方的单位可查看它的全部任务。")
    by_doc: dict[str, list[ClauseRecord]] = {}
    for task in kb.store.tasks():
        by_doc.setdefault(task.doc_id, []).append(task)
    if not by_doc:
        st.info("知识库中还没有标注了牵头领导或责任单位的文件。")
        return
    documents = {doc_id: kb.store.document(doc_id) for doc_id in by_doc}
    # The seed plan first: it is the one the office works from.
    order = sorted(by_doc, key=lambda i: (i != SEED_NUMBER, documents[i].doc_number or "~", i))
    wanted = st.session_state.pop("matrix_doc", None) or st.query_params.get("doc")
    if wanted in by_doc:
        st.session_state.matrix_choice = wanted
    elif st.session_state.get("matrix_choice") not in by_doc:
        st.session_state.pop("matrix_choice", None)  # e.g. its document was removed
    doc_id = st.selectbox(
        "文件",
        order,
        key="matrix_choice",
        format_func=lambda i: (
            f"{support.document_label(documents[i], 60)}（{len(by_doc[i])}项任务）"
        ),
    )
    tasks = by_doc[doc_id]
    document = documents[doc_id]
    matrix = support.responsibility_matrix(tasks)
    st.markdown(f"#### {kb.heading(tasks[0])}")
    leads: dict[str, int] = {}
    for task in tasks:
        for person in task.leads:
            leads[person] = leads.get(person, 0) + 1
    summary = (
        f"共 {len(tasks)} 项任务，{len(matrix.columns) - len(support.MATRIX_FIXED)} 个责任单位"
    )
    if leads:
        summary += "；牵头领导：" + "、".join(f"{p}（{n}项）" for p, n in leads.items())
    st.markdown(summary)
    # Not a data grid: there every unit column would need scrolling and long names get cut.
    st.markdown(
        f"<div class='kb-scroll'>{support.matrix_html(matrix)}</div>", unsafe_allow_html=True
    )
    st.caption("● 责任单位　　牵头：牵头单位　　配合：配合单位")
    name = document.doc_number or document.title[:20]
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "下载 Excel",
        support.matrix_xlsx(matrix, f"{kb.heading(tasks[0])}责任清单"),
        file_name=f"责任清单_{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
    right.download_button(
        "下载 CSV",
        support.matrix_csv(matrix),
        file_name=f"责任清单_{name}.csv",
        mime="text/csv",
        icon=":material/download:",
    )

    st.subheader("各单位任务数")
    counts = dict(support.task_units(tasks))
    unit = st.pills(
        "点选单位查看它的任务",
        list(counts),
        format_func=lambda u: f"{u} · {counts[u]}",
        key=f"matrix_unit_{doc_id}",
    )
    if unit:
        duties = unit_duties(kb.store, unit, doc_id)
        elsewhere = len(unit_duties(kb.store, unit).tasks) - len(duties.tasks)
        st.markdown(f"**{unit}** 在本文件中承担 {len(duties.tasks)} 项任务：")
        clauses = {
            c.clause_id: c for c in kb.store.clauses_by_id(t.clause_id for t in duties.tasks)
        }
        for task in duties.tasks:
            clause = clauses[task.clause_id]
            with st.expander(task_label(clause, task.role)):
                clause_card(kb, clause, nested=True)
        if elsewhere > 0:
            st.caption(
                f"该单位在知识库的其他文件中还有 {elsewhere} 项任务，可在「问答检索」中问“{unit}负责哪些任务”。"
            )


# -- 文件库 ----------------------------------------------------------------------------------------


LIBRARY_COLUMNS = {
    "文号": 165,
    "标题": 325,
    "发文单位": 140,
    "级别": 55,
    "年份": 50,
    "有效性": 55,
    "正文": 60,
    "提示": 90,
}


def documents_table(documents: list[DocumentRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "文号": d.doc_number or "",
                "标题": d.title,
                "发文单位": d.issuer or "",
                "级别": d.level or "",
                "年份": str(support.document_year(d) or ""),
                "有效性": d.validity or "",
                "正文": "已收录" if d.in_corpus else "未收录",
                "提示": "⚠ 信息不一致" if d.conflicts else "",
            }
            for d in documents
        ],
        columns=list(LIBRARY_COLUMNS),
    )


def library_order(document: DocumentRecord) -> tuple:
    """Texts first, then from the national level down, the newest first."""
    level = support.LEVELS.index(document.level) if document.level in support.LEVELS else 9
    return (
        not document.in_corpus,
        level,
        -(support.document_year(document) or 0),
        document.doc_number or "",
        document.title,
    )


def documents_page() -> None:
    kb = knowledge_base()
    st.title("文件库")
    stats = kb.store.stats()
    columns = st.columns(4)
    columns[0].metric("正文已收录的文件", stats["documents_with_text"])
    columns[1].metric("仅有目录或被引用的文件", stats["documents_catalogue_only"])
    columns[2].metric("条款", stats["clauses"])
    columns[3].metric("标注了责任的任务", stats["tasks"])

    documents = sorted(kb.store.documents(), key=library_order)
    issuers = sorted({d.issuer for d in documents if d.issuer})
    years = sorted({y for d in documents if (y := support.document_year(d))}, reverse=True)
    row = st.columns([3, 2, 3, 2, 2])
    text = row[0].text_input("搜索标题或文号", placeholder="如：美育、咸市教〔2021〕14号")
    levels = row[1].multiselect("级别", support.LEVELS, placeholder="全部")
    issuer = row[2].selectbox("发文单位", [None, *issuers], format_func=lambda i: i or "全部")
    chosen_years = row[3].multiselect("年份", years, placeholder="全部")
    body = row[4].selectbox("正文", ["全部", "已收录", "未收录"])

    needle = "".join(text.split())
    number = kb.store.find_document(text) if text else None  # 咸市教[2021]14号 in any brackets

    def keep(d: DocumentRecord) -> bool:
        if needle and not (
            needle in "".join(d.title.split())
            or needle in (d.doc_number or "")
            or (number is not None and d.doc_id == number.doc_id)
        ):
            return False
        if levels and d.level not in levels:
            return False
        if issuer and d.issuer != issuer:
            return False
        if chosen_years and support.document_year(d) not in chosen_years:
            return False
        return body == "全部" or (body == "已收录") == d.in_corpus

    shown = [d for d in documents if keep(d)]
    st.caption(f"共 {len(shown)} 份文件。点选表格中的一行查看详情。")
    selection = st.dataframe(
        documents_table(shown),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"documents_{hash((text, tuple(levels), issuer, tuple(chosen_years), body))}",
        height=360,
        # Pixel widths so that every column fits beside the sidebar without scrolling.
        column_config={
            name: st.column_config.TextColumn(width=width)
            for name, width in LIBRARY_COLUMNS.items()
        },
    )
    rows = selection.selection.rows if selection else []
    focus = st.session_state.get("doc_focus") or st.query_params.get("doc")
    if rows:
        document = shown[rows[0]]
    else:  # nothing picked: the document looked at last if it is listed, else the first listed
        focused = kb.document_of(focus) if focus else None
        listed = focused is not None and any(d.doc_id == focused.doc_id for d in shown)
        document = focused if listed else (shown[0] if shown else None)
    if document is None:
        return
    st.session_state.doc_focus = document.doc_id
    st.divider()
    render_document_detail(kb, document)


def render_document_detail(kb: KnowledgeBase, document: DocumentRecord) -> None:
    st.subheader(document.title)
    st.markdown(
        document_badges(document.doc_number, document.level, document.validity, document.in_corpus)
    )
    facts_table(
        [
            ("发文单位", document.issuer),
            ("地区", document.jurisdiction),
            ("主送机关", document.addressees),
            ("成文日期", document.signed_date),
            ("发文日期", document.issue_date),
            ("发布日期", document.published_date),
            ("索引号", document.index_no),
            ("主题分类", document.subject),
            ("原文件", "、".join(Path(p).name for p in document.sources)),
        ]
    )
    for conflict in document.conflicts:
        st.warning(f"信息不一致：{conflict}", icon=":material/warning:")
    if not document.in_corpus:
        st.info(
            "正文未收录：知识库里只有这份文件的目录或引用信息。如有原文，请上传，上传后即可检索它的条款。"
        )
        st.page_link(PAGES["add"], label="去「添加文件」", icon=":material/upload_file:")

    if not document.in_corpus:
        citations_view(kb, document)
        return
    structure, links = st.tabs(["文件结构", "引用关系"])
    with structure:
        st.markdown(support.outline_html(kb.store.clauses(document.doc_id)), unsafe_allow_html=True)
    with links:
        citations_view(kb, document)
    removal_control(kb, document, "detail")


def citations_view(kb: KnowledgeBase, document: DocumentRecord) -> None:
    """Citations both ways: what the document cites (and whether its text is here), who cites it.
    Without its text, what a document cites is unknown, so only who cites it is shown."""
    cites = kb.store.cites(document.doc_id)
    if document.in_corpus:
        st.markdown(
            f"**本文件引用的文件（{len(cites)}）**" if cites else "**本文件没有引用其他文件**"
        )
    for row in cites:
        target = kb.store.document(row["cited_doc_id"]) if row["cited_doc_id"] else None
        title = f"《{row['cited_title']}》" if row["cited_title"] else ""
        name = " ".join(x for x in (title, row["cited_number"] or "") if x)
        held = target is not None and target.in_corpus
        st.markdown(
            f"- {name}　{':green-badge[正文已收录]' if held else ':orange-badge[正文未收录]'}"
        )
    cited_by = kb.store.cited_by(document.doc_id)
    st.markdown(
        f"**引用本文件的条款（{len(cited_by)}）**" if cited_by else "**暂无其他文件引用本文件**"
    )
    for clause in kb.store.clauses_by_id(clause_id for clause_id, _ in cited_by):
        st.markdown(f"- {kb.citation(clause)}")


def removal_control(kb: KnowledgeBase, document: DocumentRecord, where: str) -> None:
    """Only files added through the app can be removed here; the corpus folder is kept by hand."""
    files = support.uploaded_sources(document, kb.config.uploads_dir)
    if not files:
        return
    with st.popover("从知识库移除", icon=":material/delete:"):
        st.markdown(
            f"将删除已上传的原文件：{'、'.join(p.name for p in files)}，并从检索中去掉它的条款。"
        )
        if st.button("确认移除", key=f"remove-{where}-{document.doc_id}", type="primary"):
            remove_document(kb, document)
            st.rerun()


def remove_document(kb: KnowledgeBase, document: DocumentRecord) -> None:
    with st.spinner("正在移除并更新检索索引…"):
        removed = support.delete_uploaded_files(document, kb.config.uploads_dir)
        build_store(kb.config, [kb.config.uploads_dir])
        refreshed_knowledge_base()
    st.session_state.doc_focus = None
    st.session_state.removal_note = (
        f"已移除 {document.doc_number or document.title}（{len(removed)} 个文件）。"
    )


# -- 添加文件 --------------------------------------------------------------------------------------


def add_files(kb: KnowledgeBase, files: list) -> list[support.UploadOutcome]:
    """Check each file, keep the good ones in the uploads folder, index that folder."""
    bar = st.progress(0.0, text="正在检查文件…")
    outcomes: dict[int, support.UploadOutcome] = {}
    saved: list[tuple[int, str, Path]] = []
    for position, upload in enumerate(files):
        bar.progress(0.3 * position / len(files), text=f"正在检查：{upload.name}")
        data = upload.getvalue()
        try:
            support.validate_upload(upload.name, data)
        except (LoadError, SegmentError) as error:
            outcomes[position] = support.failed_outcome(upload.name, error)
            continue
        except Exception as error:  # noqa: BLE001 - one odd file must not stop the others
            outcomes[position] = support.UploadOutcome(
                upload.name,
                "失败",
                error="无法读取这个文件。",
                detail=f"{type(error).__name__}: {error}",
            )
            continue
        saved.append(
            (position, upload.name, support.save_upload(kb.config.uploads_dir, upload.name, data))
        )
    if saved:
        existing = {d.doc_id for d in kb.store.documents() if d.in_corpus}

        def track(paths: Iterable[Path]) -> Iterable[Path]:
            paths = list(paths)
            for done, path in enumerate(paths):
                bar.progress(0.3 + 0.3 * done / len(paths), text=f"正在识别条款：{path.name}")
                yield path

        report = build_store(kb.config, [kb.config.uploads_dir], progress=track)
        bar.progress(0.6, text="正在更新检索索引（为新条款计算向量，可能需要一些时间）…")
        fresh = refreshed_knowledge_base()
        described = support.describe_build(
            fresh.store, report, [(name, path) for _, name, path in saved], existing
        )
        for (position, _, path), outcome in zip(saved, described, strict=True):
            if not outcome.ok and path.exists():
                path.unlink()  # it did not make it into the store: do not keep a file that fails
            outcomes[position] = outcome
    bar.progress(1.0, text="完成")
    return [outcomes[i] for i in sorted(outcomes)]


def upload_results(kb: KnowledgeBase, outcomes: list[support.UploadOutcome]) -> None:
    good = [o for o in outcomes if o.ok]
    bad = [o for o in outcomes if not o.ok]
    summary = f"{len(good)} 个文件已处理" + (f"，{len(bad)} 个文件未能加入" if bad else "")
    (st.warning if bad else st.success)(summary)
    table = pd.DataFrame(
        [
            {
                "文件": o.name,
                "结果": "失败" if not o.ok else UPLOAD_STATUS.get(o.status, o.status),
                "文件标题": o.title,
                "文号": o.doc_number or "",
                "条款": o.clauses if o.ok else None,
                "任务": o.tasks if o.ok else None,
                "名录外单位": "、".join(o.unknown_units),
                "说明": o.error,
            }
            for o in outcomes
        ]
    )
    st.dataframe(table.astype({"条款": "Int64", "任务": "Int64"}), hide_index=True)
    for outcome in bad:
        st.error(f"**{outcome.name}**：{outcome.error}", icon=":material/error:")
        if outcome.detail:
            st.caption(f"技术信息：{outcome.detail}")
    for outcome in good:
        if outcome.unknown_units:
            tags = " ".join(f":orange-badge[{_escape_badge(u)}]" for u in outcome.unknown_units)
            st.markdown(f"**{outcome.name}** 中有单位不在单位名录里，请核对名称：{tags}")
        if outcome.doc_id:
            with st.expander(f"{outcome.name}：识别出的 {outcome.clauses} 条条款"):
                st.markdown(
                    support.outline_html(kb.store.clauses(outcome.doc_id)), unsafe_allow_html=True
                )


def add_page() -> None:
    kb = knowledge_base()
    st.title("添加文件")
    st.caption(
        "可一次选择多个文件（txt、pdf、docx、html）。原文件原样保存；系统自动识别条款、任务和"
        "责任单位，完成后即可在「问答检索」中查到。"
    )
    round_no = st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(
        "选择文件（可多选）：点击 Upload 按钮，或把文件拖到下面的框里",
        accept_multiple_files=True,
        key=f"uploader_{round_no}",
    )
    if st.button("加入知识库", type="primary", disabled=not files, icon=":material/upload:"):
        st.session_state.upload_outcomes = add_files(kb, list(files or []))
        st.session_state.upload_round = round_no + 1
        st.rerun()
    if note := st.session_state.pop("removal_note", None):
        st.success(note)
    outcomes = st.session_state.get("upload_outcomes")
    if outcomes:
        upload_results(kb, outcomes)

    st.divider()
    st.subheader("已添加的文件")
    uploaded = support.uploaded_documents(kb.store, kb.config.uploads_dir)
    if not uploaded:
        st.caption("还没有通过本页添加的文件。")
    for document in uploaded:
        left, right = st.columns([6, 1], vertical_alignment="center")
        files_text = "、".join(
            p.name for p in support.uploaded_sources(document, kb.config.uploads_dir)
        )
        left.markdown(f"**{support.document_label(document, 60)}**  \n原文件：{files_text}")
        with right:
            removal_control(kb, document, "add")


# -- navigation -----------------------------------------------------------------------------------


def sidebar_summary() -> None:
    stats = knowledge_base().store.stats()
    st.sidebar.caption(
        f"知识库：{stats['documents_with_text']} 份文件正文，{stats['clauses']} 条条款，"
        f"{stats['tasks']} 项任务"
    )


def home_page() -> None:
    """The address without a page: go to 问答检索, keeping the query (/?q=… → /ask?q=…)."""
    st.switch_page(PAGES["ask"], query_params=st.query_params.to_dict())


def main() -> None:
    st.set_page_config(page_title="公文知识库", page_icon="📑", layout="wide")
    st.set_option("client.toolbarMode", "viewer")  # no developer menu for office staff
    st.html(STYLE)
    pages: dict[str, tuple[Callable[[], None], str, str]] = {
        "ask": (ask_page, "问答检索", ":material/search:"),
        "matrix": (matrix_page, "责任清单", ":material/table_view:"),
        "documents": (documents_page, "文件库", ":material/folder_open:"),
        "add": (add_page, "添加文件", ":material/upload_file:"),
    }
    for path, (function, title, icon) in pages.items():
        PAGES[path] = st.Page(function, title=title, icon=icon, url_path=path)
    # The default page is served at "/" only, never at its own path: a hidden home page takes
    # "/" so that 问答检索 keeps its address /ask.
    home = st.Page(
        home_page, title="公文知识库", url_path="home", default=True, visibility="hidden"
    )
    page = st.navigation([home, *PAGES.values()])
    page.run()
    sidebar_summary()


if __name__ == "__main__":
    main()
