"""问答检索 (/ask): a question, the filters in the sidebar, and the answer with the clauses it
stands on. The answer is ``Answerer.ask``'s, as for ``python -m indexer ask``."""

from __future__ import annotations

import streamlit as st

from indexer.answering.answer import Answerer, AskOptions
from indexer.answering.scope import Scope, ask_scope
from indexer.present.citations import path_markers
from indexer.present.labels import LEVELS, document_label
from indexer.present.matrix import task_units
from webapp.state import KnowledgeBase, knowledge_base
from webapp.widgets import (
    PAGES,
    clause_card,
    document_badges,
    facts_table,
    go_to,
    md,
    people_markdown,
    task_label,
)

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
    "basis": "文件依据",
    "facts": "文件信息",
    "search": "条款检索",
}
NO_HOME = ""
WEAK = 0.6  # a search hit scoring under this share of the best one is shown as a weak match


def page() -> None:
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
    scope = sidebar_filters(kb)

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
    result = ask(kb, answerer, question, scope.options)
    st.divider()
    kind = result["intent"]
    note = f"按「{INTENT_LABELS.get(kind, kind)}」理解这个问题"
    if scope.active:
        note += "　·　已筛选：" + "；".join(scope.active)
    st.caption(md(note))
    if result.get("notice"):
        st.warning(md(result["notice"]))
    terms = answerer.index.tokenizer.tokens(result["query"])
    answer = result["answer"]
    if answer.get("found") is False and kind not in ("docnum",):
        render_not_found(kind)
    elif kind == "who" and "lead" in answer:
        render_who(kb, result, terms)
    elif kind in ("unit", "leader"):
        render_duties(kb, result, terms)
    elif kind == "docnum":
        render_document_answer(kb, result)
    elif kind == "basis":
        render_basis(kb, result)
    elif kind == "facts":
        render_facts(result)
    else:
        render_search(kb, result, terms)
    # What "这个文件" means in the next question: the document this answer came from.
    if answer.get("doc_number"):
        st.session_state.context_doc = answer["doc_number"]


def _use_example() -> None:
    st.session_state.question = st.session_state.example or ""
    st.session_state.example = None


def sidebar_filters(kb: KnowledgeBase) -> Scope:
    """The filters chosen in the sidebar, as the scope the question is asked over."""
    store = kb.store
    documents = store.documents()
    by_id = {d.doc_id: d for d in documents if d.in_corpus}
    unit_counts = dict(task_units(store.tasks()))
    validities = sorted({d.validity for d in documents if d.validity})
    with st.sidebar:
        st.subheader("筛选")
        doc_ids = st.multiselect(
            "文件",
            list(by_id),
            format_func=lambda i: document_label(by_id[i], 30),
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
        levels = st.multiselect("级别", LEVELS, placeholder="全部")
        validity = st.multiselect("有效性", validities, placeholder="全部") if validities else []
        k = st.slider("显示条数", 3, 20, 5)
        home = home_choice(kb, documents)
    return ask_scope(
        store,
        doc_ids=doc_ids,
        unit=unit,
        leader=leader,
        levels=levels,
        validity=validity,
        k=k,
        home=home,
        context=st.session_state.get("context_doc"),
    )


def home_choice(kb: KnowledgeBase, documents) -> str:
    """本单位: whose documents come first among answers of comparable strength. The knowledge
    base's home body (corpus/kb.toml) unless changed here, for this session."""
    bodies = sorted({d.issuer for d in documents if d.in_corpus and d.issuer})
    configured = kb.config.home.body or NO_HOME
    options = [NO_HOME, *dict.fromkeys([configured, *bodies])] if configured else [NO_HOME, *bodies]
    st.session_state.setdefault("home_body", configured)
    return st.selectbox(
        "本单位（其文件优先）",
        list(dict.fromkeys(options)),
        key="home_body",
        format_func=lambda body: body or "不设",
        help="问题没有提到地方时，本单位和上级的文件在相近的答案中排在前面。",
    )


def ask(kb: KnowledgeBase, answerer: Answerer, question: str, options: AskOptions) -> dict:
    """The answer, kept while the question, the filters and the store stay the same."""
    key = (question, repr(options), kb.generation)
    cached = st.session_state.get("last_answer")
    if cached and cached[0] == key:
        return cached[1]
    result = answerer.ask(question, options)
    st.session_state.last_answer = (key, result)
    return result


def render_not_found(kind: str) -> None:
    """Nothing in the knowledge base treats the question: say so, invent nothing."""
    what = "这份文件" if kind in ("basis", "facts") else "与这个问题相关的条款"
    st.warning(f"知识库中没有找到{what}。可以换个说法，或在「添加文件」页上传相关文件。")


def render_who(kb: KnowledgeBase, result: dict, terms: list[str]) -> None:
    """谁负责: the task found, its people and clause; tasks of other documents with comparable
    evidence, grouped by document; then the other candidate tasks."""
    answer = result["answer"]
    best = kb.store.clause(answer["clause_id"])
    if best is None:
        render_search(kb, result, terms)
        return
    with st.container(border=True):
        st.subheader(task_label(best))
        if answer.get("place"):
            st.caption(md(f"出自{answer['place']}的文件：{kb.heading(best)}"))
        st.markdown(people_markdown(best))
        clause_card(kb, best, terms, people=False)
        if st.button("查看这份文件的完整责任清单", icon=":material/table_view:"):
            go_to("matrix", matrix_doc=best.doc_id)
    alternatives = answer.get("alternatives") or []
    if alternatives:
        st.markdown("**其他文件中相近的任务**")
        shown = {
            c.clause_id: c for c in kb.store.clauses_by_id(a["clause_id"] for a in alternatives)
        }
        for alternative in alternatives:
            clause = shown.get(alternative["clause_id"])
            if clause is None:
                continue
            place = f"（{alternative['place']}）" if alternative.get("place") else ""
            st.markdown(md(f"{kb.heading(clause)}{place}"))
            people = "、".join([*clause.leads, *clause.units[:3]])
            with st.expander(f"{task_label(clause)}　—　{md(people)}"):
                clause_card(kb, clause, terms, nested=True)
    listed = {best.clause_id, *(a["clause_id"] for a in alternatives)}
    others = [h for h in result["hits"] if h["clause_id"] not in listed]
    if others:
        st.markdown("**其他可能相关的任务**")
        for clause in kb.store.clauses_by_id(h["clause_id"] for h in others):
            people = "、".join([*clause.leads, *clause.units[:2]])
            with st.expander(f"{task_label(clause)}　—　{md(people)}"):
                clause_card(kb, clause, terms, nested=True)


def render_duties(kb: KnowledgeBase, result: dict, terms: list[str]) -> None:
    """单位职责 / 领导分管: the tasks of a unit or an official, grouped by document."""
    answer, kind = result["answer"], result["intent"]
    names = "、".join(answer.get(kind, [])) or result["query"]
    tasks = answer["tasks"]
    if not tasks:
        st.warning(f"没有找到{md(names)}承担的任务。")
        return
    verb = "牵头" if kind == "leader" else "承担"
    st.subheader(f"{md(names)} {verb} {len(tasks)} 项任务")
    role_of = {t["clause_id"]: t["role"] for t in tasks}
    clauses = {c.clause_id: c for c in kb.store.clauses_by_id(role_of)}
    for group in answer["groups"]:
        members = [clauses[i] for i in group["tasks"] if i in clauses]
        if not members:
            continue
        st.markdown(f"**{md(kb.heading(members[0]))}**")
        for clause in members:
            # The other side of the answer at a glance: a unit's officials, an official's units.
            others = clause.leads if kind == "unit" else clause.units[:3]
            label = task_label(clause, role_of.get(clause.clause_id, ""))
            with st.expander(f"{label}　—　{md('、'.join(others))}" if others else label):
                clause_card(kb, clause, terms, nested=True)


def render_document_answer(kb: KnowledgeBase, result: dict) -> None:
    """文件查询: the document's facts, the clauses that cite it and what it cites."""
    answer = result["answer"]
    if not answer.get("found"):
        number = answer.get("doc_number") or result["query"]
        st.warning(f"知识库中没有找到 {md(number)} 这份文件。")
        st.page_link(
            PAGES["add"], label="如有原文，可以在「添加文件」页上传", icon=":material/upload_file:"
        )
        return
    document = kb.store.find_document(answer["doc_number"] or answer["title"])
    with st.container(border=True):
        st.subheader(md(answer["title"] or answer["doc_number"]))
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
            st.warning(f"信息不一致：{md(conflict)}", icon=":material/warning:")
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
        with st.expander(md(f"{kb.heading(clause)}　{path_markers(clause.path)}")):
            clause_card(kb, clause, [number] if number else [], nested=True)
    if document is not None and answer["in_corpus"]:
        cited = [
            row["cited_number"] or f"《{row['cited_title']}》"
            for row in kb.store.cites(document.doc_id)
        ]
        if cited:
            st.markdown(f"**这份文件引用了**：{md('、'.join(cited))}")


def render_basis(kb: KnowledgeBase, result: dict) -> None:
    """文件依据: the documents this one carries out, with the clause of its own that names them."""
    answer = result["answer"]
    with st.container(border=True):
        st.subheader(md(f"{answer['title']} 的制定依据"))
        for basis in answer["basis"]:
            state = (
                ":green-badge[正文已收录]" if basis["in_corpus"] else ":orange-badge[正文未收录]"
            )
            name = " ".join(
                x
                for x in (
                    f"《{basis['title']}》" if basis["title"] else "",
                    basis["doc_number"] or "",
                )
                if x
            )
            st.markdown(f"- {md(name)}　{state}")
    for clause in kb.store.clauses_by_id(h["clause_id"] for h in result["hits"]):
        st.caption("依据出自本文件的这一段：")
        clause_card(kb, clause, [b["doc_number"] for b in answer["basis"] if b["doc_number"]])


def render_facts(result: dict) -> None:
    """文件信息: the facts asked for, each with where it was read."""
    answer = result["answer"]
    with st.container(border=True):
        st.subheader(md(answer["title"]))
        facts_table(
            (f"{fact['label']}", f"{fact['value']}　（见{fact['source']}）")
            for fact in answer["facts"]
        )
        for conflict in answer.get("conflicts") or []:
            st.warning(f"信息不一致：{md(conflict)}", icon=":material/warning:")


def render_search(kb: KnowledgeBase, result: dict, terms: list[str]) -> None:
    """条款检索: the clauses found, the weak matches folded away below the strong ones."""
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
