"""文件库 (/documents): every document known, with text or only by catalogue or citation, to
search, filter and open: its facts, its outline and its citations both ways."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from indexer.present.labels import LEVELS, document_year
from indexer.storage.store import DocumentRecord
from webapp.state import KnowledgeBase, knowledge_base
from webapp.upload import removal_control
from webapp.widgets import PAGES, document_badges, facts_table, go_to, md, outline_html

# Pixel widths so that every column fits beside the sidebar without scrolling.
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


def page() -> None:
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
    years = sorted({y for d in documents if (y := document_year(d))}, reverse=True)
    row = st.columns([3, 2, 3, 2, 2])
    text = row[0].text_input("搜索标题或文号", placeholder="如：美育、咸市教〔2021〕14号")
    levels = row[1].multiselect("级别", LEVELS, placeholder="全部")
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
        if chosen_years and document_year(d) not in chosen_years:
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
        focused = kb.store.find_document(focus) if focus else None
        listed = focused is not None and any(d.doc_id == focused.doc_id for d in shown)
        document = focused if listed else (shown[0] if shown else None)
    if document is None:
        return
    st.session_state.doc_focus = document.doc_id
    st.divider()
    document_detail(kb, document)


def library_order(document: DocumentRecord) -> tuple:
    """Texts first, then from the national level down, the newest first."""
    level = LEVELS.index(document.level) if document.level in LEVELS else 9
    return (
        not document.in_corpus,
        level,
        -(document_year(document) or 0),
        document.doc_number or "",
        document.title,
    )


def documents_table(documents: list[DocumentRecord]) -> pd.DataFrame:
    """One row per document, in the columns of LIBRARY_COLUMNS."""
    return pd.DataFrame(
        [
            {
                "文号": d.doc_number or "",
                "标题": d.title,
                "发文单位": d.issuer or "",
                "级别": d.level or "",
                "年份": str(document_year(d) or ""),
                "有效性": d.validity or "",
                "正文": "已收录" if d.in_corpus else ("另一版本" if d.version_of else "未收录"),
                "提示": "⚠ 信息不一致" if d.conflicts else "",
            }
            for d in documents
        ],
        columns=list(LIBRARY_COLUMNS),
    )


def document_detail(kb: KnowledgeBase, document: DocumentRecord) -> None:
    """A document's facts and conflicts, then its outline and its citations."""
    st.subheader(md(document.title))
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
        st.warning(f"信息不一致：{md(conflict)}", icon=":material/warning:")
    if document.version_of:
        st.info(
            "这是同一文号的另一份文本，与知识库中的正式文本不一致：它单独保存，不参与检索和问答。"
        )
        if st.button("查看正式文本", icon=":material/description:"):
            go_to("documents", doc_focus=document.version_of)
        removal_control(kb, document, "detail")
        return
    if not document.in_corpus:
        st.info(
            "正文未收录：知识库里只有这份文件的目录或引用信息。如有原文，请上传，上传后即可检索它的条款。"
        )
        st.page_link(PAGES["add"], label="去「添加文件」", icon=":material/upload_file:")
        citations_view(kb, document)
        return
    structure, links = st.tabs(["文件结构", "引用关系"])
    with structure:
        st.markdown(outline_html(kb.store.clauses(document.doc_id)), unsafe_allow_html=True)
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
            f"- {md(name)}　{':green-badge[正文已收录]' if held else ':orange-badge[正文未收录]'}"
        )
    cited_by = kb.store.cited_by(document.doc_id)
    st.markdown(
        f"**引用本文件的条款（{len(cited_by)}）**" if cited_by else "**暂无其他文件引用本文件**"
    )
    for clause in kb.store.clauses_by_id(clause_id for clause_id, _ in cited_by):
        st.markdown(f"- {md(kb.citation(clause))}")
