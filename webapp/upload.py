"""添加文件 (/add): upload files into the knowledge base and see what was found in them; list and
remove the files added here. The work itself is indexer/storage/uploads.py's."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from indexer.present.errors import explain_error
from indexer.present.labels import document_label
from indexer.storage.store import DocumentRecord
from indexer.storage.uploads import (
    CHECKING,
    UploadOutcome,
    add_uploads,
    remove_uploaded,
    uploaded_documents,
    uploaded_sources,
)
from webapp.state import KnowledgeBase, knowledge_base, refresh_knowledge_base
from webapp.widgets import badge_text, md, outline_html

UPLOAD_STATUS = {
    "新增": "已加入知识库",
    "更新": "已更新",
    "并入": "已并入知识库中的同一文件（作为它的另一份原件）",
    "另存版本": "与知识库中同一文号的文件内容不一致，已作为另一版本单独保存，未并入检索",
    "未变化": "知识库中已有这份文件，内容相同",
}


def page() -> None:
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
        st.session_state.upload_outcomes = add_files(
            kb, [(f.name, f.getvalue()) for f in files or []]
        )
        # A new uploader: the files just added are not offered again.
        st.session_state.upload_round = round_no + 1
        st.rerun()
    if note := st.session_state.pop("removal_note", None):
        st.success(note)
    outcomes = st.session_state.get("upload_outcomes")
    if outcomes:
        upload_results(kb, outcomes)

    st.divider()
    st.subheader("已添加的文件")
    uploaded = uploaded_documents(kb.config, kb.store)
    if not uploaded:
        st.caption("还没有通过本页添加的文件。")
    for document in uploaded:
        left, right = st.columns([6, 1], vertical_alignment="center")
        files_text = "、".join(p.name for p in uploaded_sources(kb.config, document))
        left.markdown(f"**{md(document_label(document, 60))}**  \n原文件：{md(files_text)}")
        with right:
            removal_control(kb, document, "add")


def add_files(kb: KnowledgeBase, files: list[tuple[str, bytes]]) -> list[UploadOutcome]:
    """Add the files (name, bytes) under a progress bar, then load the index of the new store.
    Returns an outcome per file."""
    bar = st.progress(0.0, text="正在检查文件…")

    def progress(step: str, done: int, total: int, name: str) -> None:
        if step == CHECKING:
            bar.progress(0.3 * done / total, text=f"正在检查：{name}")
        else:
            bar.progress(0.3 + 0.3 * done / total, text=f"正在识别条款：{name}")

    outcomes = add_uploads(kb.config, files, progress)
    if any(o.ok for o in outcomes):
        bar.progress(0.6, text="正在更新检索索引（为新条款计算向量，可能需要一些时间）…")
        refresh_knowledge_base()
    bar.progress(1.0, text="完成")
    return outcomes


def upload_results(kb: KnowledgeBase, outcomes: list[UploadOutcome]) -> None:
    """A table of what became of each file; why a file failed; units not in the registry; the
    clauses found in each file."""
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
                "说明": "" if o.ok else explain_error(o.reason),
            }
            for o in outcomes
        ]
    )
    st.dataframe(table.astype({"条款": "Int64", "任务": "Int64"}), hide_index=True)
    for outcome in bad:
        st.error(
            f"**{md(outcome.name)}**：{explain_error(outcome.reason)}", icon=":material/error:"
        )
        if outcome.reason:
            st.caption(f"技术信息：{md(outcome.reason)}")
    for outcome in good:
        if outcome.unknown_units:
            tags = " ".join(f":orange-badge[{badge_text(u)}]" for u in outcome.unknown_units)
            st.markdown(f"**{md(outcome.name)}** 中有单位不在单位名录里，请核对名称：{tags}")
        if outcome.clauses:  # a version kept apart has none
            with st.expander(f"{md(outcome.name)}：识别出的 {outcome.clauses} 条条款"):
                st.markdown(outline_html(kb.store.clauses(outcome.doc_id)), unsafe_allow_html=True)


def removal_control(kb: KnowledgeBase, document: DocumentRecord, where: str) -> None:
    """Only files added through the app can be removed here; the corpus folder is kept by hand."""
    files = uploaded_sources(kb.config, document)
    if not files:
        return
    with st.popover("从知识库移除", icon=":material/delete:"):
        st.markdown(
            f"将删除已上传的原文件：{md('、'.join(p.name for p in files))}，并从检索中去掉它的条款。"
        )
        if st.button("确认移除", key=f"remove-{where}-{document.doc_id}", type="primary"):
            remove_document(kb, document)
            st.rerun()


def remove_document(kb: KnowledgeBase, document: DocumentRecord) -> None:
    """Remove the document's uploaded files from the knowledge base, leaving a note to show."""
    with st.spinner("正在移除并更新检索索引…"):
        removed = remove_uploaded(kb.config, document)
        refresh_knowledge_base()
    st.session_state.doc_focus = None
    st.session_state.removal_note = (
        f"已移除 {document.doc_number or document.title}（{len(removed)} 个文件）。"
    )
