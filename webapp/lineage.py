"""政策脉络 (/lineage): a document's chain as a tree (national → provincial → municipal); beside
it, the document item by item against its basis, what it adds and what it leaves out; and, for
an item of a higher document, how every lower document carries it out.

Everything comes from ``Lineages`` (indexer/lineage/), as for ``python -m indexer lineage`` and
the lineage answers of 问答检索; document text is shown as text (md / safe_html).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import streamlit as st

from indexer.lineage.chain import LEVEL_RANK, ChainNode, chain_order
from indexer.lineage.items import Item
from indexer.lineage.report import Alignment, Carrier, Lineages
from indexer.present.labels import document_label
from indexer.storage.store import DocumentRecord
from webapp.state import KnowledgeBase, knowledge_base
from webapp.widgets import clause_card, document_badges, highlight, md, safe_html

COMPARISON_COLUMNS = {"本文件条目": 220, "上级文件条目": 220, "对照": 60, "新增数字与时限": 120}
TREE_ROWS, TREE_HEIGHT = 16, 560  # a longer tree scrolls in a box this high (pixels)
STATUS_COLORS = {"本地新增": "#e6f4ea", "上级有、本文件无": "#fdecea"}


def page() -> None:
    kb = knowledge_base()
    st.title("政策脉络")
    st.caption(
        "一份文件依据哪些上级文件、被哪些下级文件落实；逐条对照它与上级文件，看多了什么、少了什么；"
        "点选上级文件的条目，看各地如何落实。"
    )
    documents = {d.doc_id: d for d in kb.store.documents() if d.in_corpus}
    if not documents:
        st.info("知识库中还没有文件。")
        return
    lineages = kb.answerer().lineage.lineages
    order = sorted(documents, key=lambda i: chain_order(documents[i]))
    # A document picked in the tree, else one an address names (?doc=…) that is not the one
    # this page last showed (which it writes into the address itself).
    linked = st.query_params.get("doc")
    if linked == st.session_state.get("lineage_shown"):
        linked = None
    wanted = st.session_state.pop("lineage_doc", None) or linked
    found = kb.store.find_document(wanted) if wanted else None
    if found is not None and found.doc_id in documents:
        st.session_state.lineage_choice = found.doc_id
    elif st.session_state.get("lineage_choice") not in documents:
        st.session_state.lineage_choice = _first_with_basis(lineages, order, documents)
    st.selectbox(
        "文件",
        order,
        key="lineage_choice",
        format_func=lambda i: md(document_label(documents[i], 60)),
    )
    document = documents[st.session_state.lineage_choice]
    st.query_params["doc"] = st.session_state.lineage_shown = document.label
    tree, detail = st.columns([1, 3], gap="medium")
    with tree:
        chain_tree(lineages, document)
    with detail:
        document_lineage(kb, lineages, document)


def _first_with_basis(lineages: Lineages, order: list[str], documents: dict) -> str:
    """The document to open on: the first, from the top down, that carries out one here."""
    for doc_id in order:
        report = lineages.report(documents[doc_id])
        if report.alignment is not None:
            return doc_id
    return order[0]


def chain_tree(lineages: Lineages, document: DocumentRecord) -> None:
    """The chain the document stands in, from its top down; picking one opens it."""
    st.markdown("**文件脉络**")
    path = [d.doc_id for d in reversed(lineages.report(document).chain)]
    nodes = list(_focused(lineages.tree(document), path))
    if len(nodes) == 1:
        st.caption("这份文件没有依据知识库中其他文件，也没有文件依据它。")
    labels = {
        node.document.doc_id: f"{'　' * depth}{'└ ' if depth else ''}{_short(node.document)}"
        for depth, node in nodes
    }
    ids = list(labels)
    box = st.container(height=TREE_HEIGHT if len(ids) > TREE_ROWS else "content", border=False)
    picked = box.radio(
        "文件脉络",
        ids,
        index=ids.index(document.doc_id),
        format_func=lambda i: md(labels[i]),
        label_visibility="collapsed",
        key=f"lineage_tree_{document.doc_id}",
    )
    if picked != document.doc_id:
        st.session_state.lineage_doc = picked
        st.rerun()


def _focused(root: ChainNode, path: list[str]) -> Iterator[tuple[int, ChainNode]]:
    """(depth, node) of the nodes on ``path`` (from the top to the document) and of everything
    below the document: its chain, national → provincial → municipal. The top document's is
    the whole tree."""

    def visit(node: ChainNode, depth: int, opened: bool) -> Iterator[tuple[int, ChainNode]]:
        yield depth, node
        for child in node.children:
            child_id = child.document.doc_id
            if opened or child_id in path:
                yield from visit(child, depth + 1, opened or child_id == path[-1])

    return visit(root, 0, len(path) == 1)


def _short(document: DocumentRecord) -> str:
    """The 文号 (its agency code names the place), else the start of the title."""
    return document.doc_number or document.title[:14]


def document_lineage(kb: KnowledgeBase, lineages: Lineages, document: DocumentRecord) -> None:
    st.subheader(md(document.title))
    st.markdown(document_badges(document.doc_number, document.level, document.validity, True))
    report = lineages.report(document)
    bases = [b for b in report.bases if b.in_corpus]
    if report.bases:
        names = "、".join(
            f"{md(b.doc_number or b.title)}{'' if b.in_corpus else '（正文未收录）'}"
            for b in report.bases
        )
        st.markdown(f"**依据的上级文件**：{names}")
    else:
        st.markdown("**依据的上级文件**：开头没有写明")
    if report.implemented_by:
        st.markdown(f"**落实本文件的下级文件**：{len(report.implemented_by)} 份")
    alignment = report.alignment
    if alignment is not None and len(bases) > 1:
        choice = st.selectbox(
            "对照的上级文件",
            [b.doc_number or b.title for b in bases],
            index=[b.doc_id for b in bases].index(alignment.basis.doc_id),
            format_func=md,
        )
        alignment = lineages.report(document, choice).alignment
    picked = comparison(alignment) if alignment is not None else None
    if alignment is None and report.bases:
        st.info("上级文件的正文不在知识库中，无法逐条对照。如有原文，可在「添加文件」页上传。")
    own = own_items(lineages, document) if report.implemented_by else None
    if own is not None:
        carriers_view(kb, lineages, document, own)
    elif picked is not None and alignment is not None:
        carriers_view(kb, lineages, alignment.basis, picked)


def comparison(alignment: Alignment) -> Item | None:
    """The document's items beside the basis items they carry out, the basis items it leaves
    out at the end; a row picked gives its basis item."""
    st.markdown(f"#### 与上级文件逐条对照（{md(alignment.basis.label)}）")
    local = sum(r.is_local for r in alignment.rows)
    st.caption(
        f"{len(alignment.rows)} 个条目：{len(alignment.rows) - local} 条对应上级条目，"
        f"{local} 条本地新增；上级文件有 {len(alignment.dropped)} 条在本文件中没有对应条目。"
        "点选一行，查看各地如何落实该行的上级条目。"
    )
    rows, targets = [], []
    for row in alignment.rows:
        basis = row.basis_item
        merged = "；并入 " + "、".join(s.markers for s in row.secondary) if row.secondary else ""
        rows.append(
            {
                "本文件条目": _item_label(row.item),
                "上级文件条目": (_item_label(basis) + merged) if basis else "",
                "对照": "本地新增" if basis is None else f"{row.score:.2f}",
                "新增数字与时限": "；".join(row.numbers),
            }
        )
        targets.append(basis)
    for item in alignment.dropped:
        rows.append(
            {
                "本文件条目": "",
                "上级文件条目": _item_label(item),
                "对照": "上级有、本文件无",
                "新增数字与时限": "",
            }
        )
        targets.append(item)
    table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    selection = st.dataframe(
        table.style.apply(_row_colors, axis=1),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"comparison_{alignment.document.doc_id}_{alignment.basis.doc_id}",
        height=min(38 + 35 * len(rows), 520),
        column_config={
            name: st.column_config.TextColumn(width=width)
            for name, width in COMPARISON_COLUMNS.items()
        },
    )
    chosen = selection.selection.rows if selection else []
    added = [r for r in alignment.rows if r.numbers or r.is_local]
    if added:
        with st.expander(f"逐条看新增内容（{len(added)}）"):
            for row in added:
                side_by_side(row.item, row.basis_item, row.numbers)
    return targets[chosen[0]] if chosen else None


def _item_label(item: Item) -> str:
    return f"{item.markers} {item.title}"


def _row_colors(row: pd.Series) -> list[str]:
    color = STATUS_COLORS.get(row["对照"])
    return [f"background-color: {color}" if color else ""] * len(row)


def side_by_side(item: Item, basis: Item | None, numbers: list[str]) -> None:
    """An item's text beside its basis item's, the numbers it adds marked."""
    left, right = st.columns(2)
    left.markdown(
        f"<div class='kb-path'>{safe_html(item.markers)}</div>"
        f"<div class='kb-text'>{highlight(item.own_text, numbers)}</div>",
        unsafe_allow_html=True,
    )
    if basis is None:
        right.markdown(
            "<div class='kb-path'>本地新增：上级文件中没有对应条目</div>", unsafe_allow_html=True
        )
    else:
        right.markdown(
            f"<div class='kb-path'>{safe_html(basis.markers)}</div>"
            f"<div class='kb-text'>{safe_html(basis.own_text)}</div>",
            unsafe_allow_html=True,
        )


def own_items(lineages: Lineages, document: DocumentRecord) -> Item | None:
    """The document's own items, to pick one and see how the documents below carry it out."""
    items = lineages.outline(document).items
    if not items:
        return None
    st.markdown("#### 下级文件如何落实本文件")
    key = f"lineage_item_{document.doc_id}"
    linked = st.query_params.get("item")  # an address may name the item: ?item=四、（十三）
    if linked and key not in st.session_state:
        st.session_state[key] = next((i.position for i in items if i.markers == linked), None)
    picked = st.selectbox(
        "本文件的条目",
        [None, *range(len(items))],
        format_func=lambda p: "请选择条目" if p is None else md(_item_label(items[p])),
        key=key,
    )
    return None if picked is None else items[picked]


def carriers_view(
    kb: KnowledgeBase, lineages: Lineages, higher: DocumentRecord, item: Item
) -> None:
    """Every lower document's items carrying ``item`` out, by level, then by place."""
    carriers = lineages.carriers(higher, item)
    st.markdown(f"**{md(higher.label)} {md(_item_label(item))}**：{len(carriers)} 个下级条目落实")
    if not carriers:
        st.caption("知识库中没有下级文件的条目落实它。")
        return
    by_document: dict[str, list[Carrier]] = {}
    for carrier in carriers:
        by_document.setdefault(carrier.document.doc_id, []).append(carrier)
    levels = sorted(
        {c.document.level or "其他" for c in carriers},
        key=lambda level: LEVEL_RANK.get(level, len(LEVEL_RANK)),
    )
    for level in levels:
        st.markdown(f"**{md(level)}**")
        for group in by_document.values():
            document = group[0].document
            if (document.level or "其他") != level:
                continue
            place = f"{document.jurisdiction}　" if document.jurisdiction else ""
            markers = " · ".join(c.row.item.markers for c in group)
            with st.expander(md(f"{place}{document.label}　{markers}")):
                for carrier in group:
                    note = "（合并落实）" if carrier.merged else ""
                    via = f"，经 {carrier.via.label}" if carrier.via.doc_id != higher.doc_id else ""
                    st.caption(f"相似度 {carrier.row.score:.2f}{note}{md(via)}")
                    clause_card(kb, carrier.row.item.clause, nested=True)


# -- the lineage answers of 问答检索 ---------------------------------------------------------------


def render_answer(kb: KnowledgeBase, result: dict) -> None:
    """上级依据 / 各地落实: the answer of ``Answerer.ask`` for the two lineage intents."""
    answer = result["answer"]
    if not answer.get("found"):
        st.warning(md(answer.get("note") or "没有找到问题所说的文件。"))
        return
    if result["intent"] == "implementations":
        _implementations_answer(kb, answer)
    else:
        _lineage_answer(kb, answer)


def _implementations_answer(kb: KnowledgeBase, answer: dict) -> None:
    what = f"{answer['doc_number']} {answer.get('markers', '')}"
    if "count" in answer:
        st.subheader(f"{md(what)}：{answer['count']} 个下级条目落实")
    else:
        st.subheader(md(f"落实 {answer['doc_number']} 的下级文件"))
    if answer.get("clause_id"):
        own = kb.store.clause(answer["clause_id"])
        if own is not None:
            with st.expander(md(f"上级条目原文：{what}")):
                clause_card(kb, own, nested=True)
    for group in answer.get("groups", []):
        st.markdown(f"**{md(group['level'])}**")
        for document in group["documents"]:
            markers = " · ".join(i["markers"] for i in document["items"])
            place = f"{document['jurisdiction']}　" if document.get("jurisdiction") else ""
            with st.expander(md(f"{place}{document['doc_number']}　{markers}")):
                clauses = kb.store.clauses_by_id(i["clause_id"] for i in document["items"])
                if not clauses:
                    st.caption(md(document["title"]))
                for clause in clauses:
                    clause_card(kb, clause, nested=True)


def _lineage_answer(kb: KnowledgeBase, answer: dict) -> None:
    if answer.get("note"):
        st.info(md(answer["note"]))
        return
    basis = f"{answer['basis_doc_number']}"
    if "clause_id" not in answer:  # the whole document: what it adds, what it leaves out
        st.subheader(md(f"{answer['doc_number']} 与 {basis} 对照"))
        st.markdown(
            f"{answer['aligned']} 个条目对应上级条目，本地新增 {len(answer['local_additions'])} 条，"
            f"上级文件有 {len(answer['dropped'])} 条没有对应条目。"
        )
        for title, refs in (
            ("本地新增的条目", answer["local_additions"]),
            ("上级有、本文件没有对应条目的", answer["dropped"]),
        ):
            if refs:
                st.markdown(f"**{title}**")
                for clause in kb.store.clauses_by_id(r["clause_id"] for r in refs):
                    with st.expander(md(f"{clause.doc_number or ''} {' › '.join(clause.path)}")):
                        clause_card(kb, clause, nested=True)
        return
    item = kb.store.clause(answer["clause_id"])
    target = kb.store.clause(answer["basis_clause_id"]) if answer["basis_clause_id"] else None
    if target is None:
        st.subheader(md(f"{answer['markers']} 是本地新增的条目：{basis} 中没有对应条目"))
    else:
        st.subheader(md(f"{answer['markers']} 落实的是 {basis} {answer['basis_markers']}"))
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.caption("本文件")
        if item is not None:
            clause_card(kb, item, answer["added"]["numbers"])
    with right, st.container(border=True):
        st.caption("上级文件")
        if target is not None:
            clause_card(kb, target)
        else:
            st.markdown("（没有对应条目）")
    if answer["secondary"]:
        merged = "、".join(s["markers"] for s in answer["secondary"])
        st.markdown(f"**还合并了上级条目**：{md(merged)}")
    if answer["added"]["numbers"]:
        st.markdown(f"**新增的数字与时限**：{md('；'.join(answer['added']['numbers']))}")
