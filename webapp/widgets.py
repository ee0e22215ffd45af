"""What the pages share: the style sheet, the page registry, a clause as a card with its place,
people, text and citation, badges and fact tables, and the HTML the style sheet dresses."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from indexer.present.labels import ROLE_LABELS
from indexer.present.matrix import MATRIX_FIXED
from indexer.storage.store import ClauseRecord
from webapp.state import KnowledgeBase

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

# By url path; filled by app.py on every run, so that pages can link to each other.
PAGES: dict[str, StreamlitPage] = {}


def go_to(page: str, **state: object) -> None:
    """Switch to the page at url path ``page``, handing it ``state`` in the session."""
    st.session_state.update(state)
    st.switch_page(PAGES[page])


# -- badges, labels and facts ---------------------------------------------------------------------


# What Markdown, or Streamlit's own directives (:blue-badge[…], :material/…:, $…$), would read as
# syntax. Text from documents (titles, clauses, unit names) must always show as text: a title
# holding [text](https://…) is no link, and ![](https://…) loads no image from anywhere.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")
_ENTITIES = {ch: f"&#{ord(ch)};" for ch in "`*_{}[]()#+-.!|~$:\\"}


def md(text: str) -> str:
    """Document text for anything Streamlit renders as Markdown (markdown, subheaders,
    captions, alerts, widget labels, pills): each syntax character backslash-escaped."""
    return _MARKDOWN_SYNTAX.sub(r"\\\1", text)


def safe_html(text: str) -> str:
    """Document text inside the HTML the pages build: escaped as HTML, and the characters
    Markdown would still read between the tags written as entities."""
    return "".join(_ENTITIES.get(ch, ch) for ch in html.escape(text, quote=True))


def badge_text(text: str) -> str:
    """``text`` made safe inside a :color-badge[…]: square brackets would end the badge."""
    return md(text.replace("[", "［").replace("]", "］"))


def people_markdown(clause: ClauseRecord) -> str:
    """牵头领导 and 责任单位 as tags; a unit's role shows when it is not plainly 责任."""
    lines = []
    if clause.leads:
        tags = " ".join(
            f":red-badge[:material/person: {badge_text(name)}]" for name in clause.leads
        )
        lines.append(f"**牵头领导**　{tags}")
    if clause.units:
        tags = []
        for unit in clause.units:
            role = clause.unit_roles.get(unit, "responsible")
            suffix = f"（{ROLE_LABELS[role]}）" if role != "responsible" else ""
            tags.append(f":{ROLE_COLORS.get(role, 'blue')}-badge[{badge_text(unit)}{suffix}]")
        lines.append(f"**责任单位**　{' '.join(tags)}")
    return "  \n".join(lines)


def task_label(clause: ClauseRecord, role: str = "") -> str:
    """任务5　title（牵头）: a task's number, title and, when given, the unit's role in it."""
    number = f"任务{clause.task_no}　" if clause.task_no else ""
    role_text = f"（{ROLE_LABELS[role]}）" if role in ROLE_LABELS else ""
    return f"{number}{md(clause.title)}{role_text}"


def document_badges(
    doc_number: str | None, level: str | None, validity: str | None, in_corpus: bool
) -> str:
    """A document's 文号, level, validity and whether its text is here, as badges."""
    tags = []
    if doc_number:
        tags.append(f":gray-badge[{badge_text(doc_number)}]")
    if level:
        tags.append(f":blue-badge[{badge_text(level)}]")
    if validity:
        tags.append(f":{'green' if validity == '有效' else 'orange'}-badge[{badge_text(validity)}]")
    tags.append(":green-badge[正文已收录]" if in_corpus else ":orange-badge[正文未收录]")
    return " ".join(tags)


def facts_table(pairs: Iterable[tuple[str, str | None]]) -> None:
    """Label and value in two columns, the pairs without a value left out."""
    rows = "".join(
        f"<tr><td>{safe_html(label)}</td><td>{safe_html(value)}</td></tr>"
        for label, value in pairs
        if value
    )
    if rows:
        st.markdown(f"<table class='kb-facts'>{rows}</table>", unsafe_allow_html=True)


# -- a clause -------------------------------------------------------------------------------------


def clause_text(text: str, terms: Iterable[str] = ()) -> None:
    """The clause's text, line breaks kept and the query's terms marked."""
    body = highlight(text, terms).replace("\n", "<br>")
    st.markdown(f"<div class='kb-text'>{body}</div>", unsafe_allow_html=True)


def breadcrumb(clause: ClauseRecord, rank: int | None = None) -> None:
    """The clause's document and headings, after its rank in a list of answers."""
    parts = [clause.doc_number or clause.doc_title, *clause.path[:-1]]
    prefix = f"**{rank}.** " if rank else ""
    path = safe_html(" › ".join(parts))
    st.markdown(f"{prefix}<span class='kb-path'>{path}</span>", unsafe_allow_html=True)


def citation(kb: KnowledgeBase, clause: ClauseRecord) -> None:
    """The citation line in standard form; st.code gives it a copy button."""
    st.caption("出处（可复制）")
    st.code(kb.citation(clause), language=None, wrap_lines=True)


def context_view(kb: KnowledgeBase, clause: ClauseRecord) -> None:
    """The headings above the clause and the clauses just before and after it."""
    if clause.path[:-1]:
        st.markdown(f"**所在位置**　{md(' › '.join(clause.path[:-1]))}")
    blocks = []
    for near in kb.store.neighbours(clause.clause_id):
        here = near.clause_id == clause.clause_id
        text = near.text if len(near.text) <= 160 else near.text[:160] + "…"
        blocks.append(f"<div class='{'kb-here' if here else ''}'>{safe_html(text)}</div>")
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


# -- HTML for the style sheet above ---------------------------------------------------------------


def highlight(text: str, terms: Iterable[str]) -> str:
    """``text`` as HTML with the query's terms marked, longest first and without overlaps.

    Single characters are left out (marking every 年 or 的 hides the words that matter), and so
    is a piece of a longer term the text holds whole: 特岗计划 is marked, not every 计划."""
    lowered = text.lower()
    present = {t.lower() for t in terms if len(t) >= 2 and t.lower() in lowered}
    wanted = sorted(
        (t for t in present if not any(t != longer and t in longer for longer in present)),
        key=len,
        reverse=True,
    )
    if not wanted:
        return safe_html(text)
    pattern = re.compile("|".join(re.escape(t) for t in wanted), re.IGNORECASE)
    pieces, cursor = [], 0
    for match in pattern.finditer(text):
        pieces.append(safe_html(text[cursor : match.start()]))
        pieces.append(f"<mark>{safe_html(match.group(0))}</mark>")
        cursor = match.end()
    pieces.append(safe_html(text[cursor:]))
    return "".join(pieces)


def outline_html(clauses: list[ClauseRecord]) -> str:
    """Headings, numbered items and principles, indented by level, tasks tagged with their people."""
    shown = [
        c for c in clauses if c.marker or c.task_no or c.kind in ("title", "heading", "principle")
    ]
    if not shown:  # a text without numbered headings: list its paragraphs instead
        shown = clauses
    lines = []
    for clause in shown:
        label = clause.path[-1] if clause.path else clause.title
        indent = max(clause.level - 1, 0) * 1.4
        extra = ""
        if clause.task_no:
            people = "、".join([*clause.leads, *clause.units])
            extra = (
                f"<span class='kb-tag'>任务{clause.task_no}</span>"
                f"<span class='kb-people'>{safe_html(people)}</span>"
            )
        weight = "font-weight:600;" if clause.level <= 1 else ""
        lines.append(
            f"<div style='padding-left:{indent}em;{weight}'>{safe_html(label)}{extra}</div>"
        )
    return f"<div class='kb-outline'>{''.join(lines)}</div>"


def matrix_html(matrix: pd.DataFrame) -> str:
    """The matrix as an HTML table laid out like a printed 责任分工表: unit names wrap in the
    header, the marks sit centred, and a last row counts each unit's tasks. One row per line."""
    columns = list(matrix.columns)
    units = columns[len(MATRIX_FIXED) :]
    header = "".join(f"<th>{safe_html(c)}</th>" for c in MATRIX_FIXED)
    header += "".join(f"<th class='kb-unit'>{safe_html(u)}</th>" for u in units)
    lines = [f"<table class='kb-matrix'><thead><tr>{header}</tr></thead><tbody>"]
    for row in matrix.itertuples(index=False):
        values = dict(zip(columns, row, strict=True))
        cells = (
            f"<td class='kb-no'>{values['序号'] if values['序号'] is not None else ''}</td>"
            f"<td class='kb-task'>{safe_html(values['任务'])}</td>"
            f"<td class='kb-nowrap'>{safe_html(values['条款'])}</td>"
            f"<td class='kb-nowrap'>{safe_html(values['牵头领导']).replace('、', '<br>')}</td>"
        )
        cells += "".join(f"<td class='kb-mark'>{safe_html(values[u])}</td>" for u in units)
        lines.append(f"<tr data-task='{values['序号']}'>{cells}</tr>")
    counts = "".join(f"<td class='kb-mark'>{int((matrix[u] != '').sum())}</td>" for u in units)
    lines.append(f"<tr class='kb-total'><td colspan='4'>各单位任务数</td>{counts}</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)
