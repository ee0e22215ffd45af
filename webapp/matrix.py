"""责任清单 (/matrix): a document's tasks against its units, as on paper and as Excel or CSV, and
the tasks of the unit picked."""

from __future__ import annotations

import streamlit as st

from indexer.answering.duties import unit_duties
from indexer.present.labels import document_label
from indexer.present.matrix import (
    MATRIX_FIXED,
    matrix_csv,
    matrix_xlsx,
    responsibility_matrix,
    task_units,
)
from indexer.storage.store import ClauseRecord
from webapp.state import KnowledgeBase, knowledge_base
from webapp.widgets import clause_card, matrix_html, md, task_label

SEED_NUMBER = "咸市教〔2021〕14号"


def page() -> None:
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
        format_func=lambda i: f"{document_label(documents[i], 60)}（{len(by_doc[i])}项任务）",
    )
    tasks = by_doc[doc_id]
    document = documents[doc_id]
    matrix = responsibility_matrix(tasks)
    st.markdown(f"#### {md(kb.heading(tasks[0]))}")
    leads: dict[str, int] = {}
    for task in tasks:
        for person in task.leads:
            leads[person] = leads.get(person, 0) + 1
    summary = f"共 {len(tasks)} 项任务，{len(matrix.columns) - len(MATRIX_FIXED)} 个责任单位"
    if leads:
        summary += "；牵头领导：" + "、".join(f"{md(p)}（{n}项）" for p, n in leads.items())
    st.markdown(summary)
    # Not a data grid: there every unit column would need scrolling and long names get cut.
    st.markdown(f"<div class='kb-scroll'>{matrix_html(matrix)}</div>", unsafe_allow_html=True)
    st.caption("● 责任单位　　牵头：牵头单位　　配合：配合单位")
    name = document.doc_number or document.title[:20]
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "下载 Excel",
        matrix_xlsx(matrix, f"{kb.heading(tasks[0])}责任清单"),
        file_name=f"责任清单_{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
    right.download_button(
        "下载 CSV",
        matrix_csv(matrix),
        file_name=f"责任清单_{name}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    unit_tasks(kb, doc_id, tasks)


def unit_tasks(kb: KnowledgeBase, doc_id: str, tasks: list[ClauseRecord]) -> None:
    """各单位任务数 as pills; the unit picked shows its tasks in this document."""
    st.subheader("各单位任务数")
    counts = dict(task_units(tasks))
    unit = st.pills(
        "点选单位查看它的任务",
        list(counts),
        format_func=lambda u: f"{md(u)} · {counts[u]}",
        key=f"matrix_unit_{doc_id}",
    )
    if not unit:
        return
    duties = unit_duties(kb.store, unit, doc_id)
    elsewhere = len(unit_duties(kb.store, unit).tasks) - len(duties.tasks)
    st.markdown(f"**{md(unit)}** 在本文件中承担 {len(duties.tasks)} 项任务：")
    clauses = {c.clause_id: c for c in kb.store.clauses_by_id(t.clause_id for t in duties.tasks)}
    for task in duties.tasks:
        clause = clauses[task.clause_id]
        with st.expander(task_label(clause, task.role)):
            clause_card(kb, clause, nested=True)
    if elsewhere > 0:
        st.caption(
            f"该单位在知识库的其他文件中还有 {elsewhere} 项任务，可在「问答检索」中问“{md(unit)}负责哪些任务”。"
        )
