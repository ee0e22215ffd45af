"""Pure helpers for the Streamlit app (app.py): citation lines, the responsibility matrix and its
exports, highlighting, and adding or removing uploaded files.

Nothing here searches or parses on its own: it arranges what the core (kb, store, duties, loaders,
segment) returns, so the app stays a thin shell over the same functions as the CLI.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from indexer.config import Settings
from indexer.documents import Document
from indexer.ingest.docnum import find_doc_numbers
from indexer.ingest.formats import LoadError, load_bytes
from indexer.ingest.headings import match_heading
from indexer.ingest.segment import parse_document
from indexer.storage.build import BuildReport
from indexer.storage.store import ClauseRecord, DocumentRecord, Store

LEVELS = ("国家级", "省级", "市级", "县级")
ROLE_LABELS = {"lead": "牵头", "responsible": "责任", "cooperating": "配合"}
# Matrix cells: the responsible units get a dot, so 牵头/配合 stand out where the text names them.
MATRIX_MARKS = {"lead": "牵头", "responsible": "●", "cooperating": "配合"}
MATRIX_FIXED = ("序号", "任务", "条款", "牵头领导")
_QUOTE_LIMIT = 16


# -- opening ----------------------------------------------------------------------------------


def store_generation(config: Settings) -> str:
    """Changes whenever a build changes the clauses, whoever ran it (app or CLI)."""
    from indexer.storage.store import GENERATION_KEY

    store = Store(config.store_path)
    try:
        return store.get_meta(GENERATION_KEY) or ""
    finally:
        store.close()


# -- citations --------------------------------------------------------------------------------


def source_title(clause: ClauseRecord, document_clauses: list[ClauseRecord]) -> str:
    """The title a clause is cited under: the plan or measures it sits in when the document is a
    notice issuing one (咸市教〔2021〕14号 issues 《咸宁市…实施方案》), else the document's own."""
    titles = [c.text for c in document_clauses if c.kind == "title" and c.ordinal <= clause.ordinal]
    return titles[-1] if titles else clause.doc_title


def path_markers(path: list[str]) -> str:
    """二、（一）1. for a path of headings; a paragraph without a number is quoted by its start."""
    markers = []
    for position, heading in enumerate(path):
        found = match_heading(heading)
        if found:
            markers.append(found.marker)
        elif position == len(path) - 1:
            # Quotes inside the quotation become single quotes, as in print.
            text = heading.rstrip("…").replace("“", "‘").replace("”", "’")
            cut = "…" if len(text) > _QUOTE_LIMIT or heading.endswith("…") else ""
            markers.append(f"“{text[:_QUOTE_LIMIT]}{cut}”")
    return "".join(markers)


def quoted_title(title: str) -> str:
    """《title》; a title quoted inside it takes single angle brackets, as in print."""
    return "《" + title.strip().replace("《", "〈").replace("》", "〉") + "》"


def citation_line(title: str, doc_number: str | None, path: list[str]) -> str:
    """《title》（文号）二、（一）1."""
    number = f"（{doc_number}）" if doc_number else ""
    return f"{quoted_title(title)}{number}{path_markers(path)}"


def clause_citation(store: Store, clause: ClauseRecord) -> str:
    title = source_title(clause, store.clauses(clause.doc_id))
    return citation_line(title, clause.doc_number, clause.path)


# -- highlighting -----------------------------------------------------------------------------


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
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in wanted), re.IGNORECASE)
    pieces, cursor = [], 0
    for match in pattern.finditer(text):
        pieces.append(html.escape(text[cursor : match.start()]))
        pieces.append(f"<mark>{html.escape(match.group(0))}</mark>")
        cursor = match.end()
    pieces.append(html.escape(text[cursor:]))
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
                f"<span class='kb-people'>{html.escape(people)}</span>"
            )
        weight = "font-weight:600;" if clause.level <= 1 else ""
        lines.append(
            f"<div style='padding-left:{indent}em;{weight}'>{html.escape(label)}{extra}</div>"
        )
    return f"<div class='kb-outline'>{''.join(lines)}</div>"


# -- labels -----------------------------------------------------------------------------------


def document_label(document: DocumentRecord, limit: int = 48) -> str:
    title = document.title if len(document.title) <= limit else document.title[:limit] + "…"
    return f"{document.doc_number}　{title}" if document.doc_number else title


def document_year(document: DocumentRecord) -> int | None:
    """From the 文号's year, else from the first date known."""
    if document.doc_number:
        found = find_doc_numbers(document.doc_number)
        if found:
            return found[0].number.year
    for date in (document.signed_date, document.issue_date, document.published_date):
        if date and date[:4].isdigit():
            return int(date[:4])
    return None


# -- filters ----------------------------------------------------------------------------------


def clauses_under(store: Store, task_ids: Iterable[str]) -> set[str]:
    """The task clauses and every clause below them: a task's text may go on in paragraphs."""
    wanted = set(task_ids)
    found = set(wanted)
    for doc_id in {c.doc_id for c in store.clauses_by_id(wanted)}:
        parent_of = {c.clause_id: c.parent_id for c in store.clauses(doc_id)}
        for clause_id in parent_of:
            node = parent_of[clause_id]
            while node is not None:
                if node in wanted:
                    found.add(clause_id)
                    break
                node = parent_of.get(node)
    return found


def task_units(tasks: Iterable[ClauseRecord]) -> list[tuple[str, int]]:
    """Units named by ``tasks`` with how many tasks each has, most first, ties in text order."""
    counts: Counter[str] = Counter()
    for task in tasks:
        counts.update(task.units)
    order = {name: i for i, name in enumerate(counts)}
    return sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))


# -- the responsibility matrix ----------------------------------------------------------------


def responsibility_matrix(tasks: list[ClauseRecord]) -> pd.DataFrame:
    """One row per task, one column per unit, the units with most tasks first."""
    units = [name for name, _ in task_units(tasks)]
    rows = []
    for task in tasks:
        row = {
            "序号": task.task_no,
            "任务": task.title,
            "条款": path_markers(task.path),
            "牵头领导": "、".join(task.leads),
        }
        for unit in units:
            role = task.unit_roles.get(unit)
            row[unit] = MATRIX_MARKS.get(role, "●") if unit in task.units else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=[*MATRIX_FIXED, *units])


def matrix_html(matrix: pd.DataFrame) -> str:
    """The matrix as an HTML table laid out like a printed 责任分工表: unit names wrap in the
    header, the marks sit centred, and a last row counts each unit's tasks. One row per line."""
    columns = list(matrix.columns)
    units = columns[len(MATRIX_FIXED) :]
    header = "".join(f"<th>{html.escape(c)}</th>" for c in MATRIX_FIXED)
    header += "".join(f"<th class='kb-unit'>{html.escape(u)}</th>" for u in units)
    lines = [f"<table class='kb-matrix'><thead><tr>{header}</tr></thead><tbody>"]
    for row in matrix.itertuples(index=False):
        values = dict(zip(columns, row, strict=True))
        cells = (
            f"<td class='kb-no'>{values['序号'] if values['序号'] is not None else ''}</td>"
            f"<td class='kb-task'>{html.escape(values['任务'])}</td>"
            f"<td class='kb-nowrap'>{html.escape(values['条款'])}</td>"
            f"<td class='kb-nowrap'>{html.escape(values['牵头领导']).replace('、', '<br>')}</td>"
        )
        cells += "".join(f"<td class='kb-mark'>{html.escape(values[u])}</td>" for u in units)
        lines.append(f"<tr data-task='{values['序号']}'>{cells}</tr>")
    counts = "".join(f"<td class='kb-mark'>{int((matrix[u] != '').sum())}</td>" for u in units)
    lines.append(f"<tr class='kb-total'><td colspan='4'>各单位任务数</td>{counts}</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def matrix_csv(matrix: pd.DataFrame) -> bytes:
    # A byte-order mark makes Excel on Chinese Windows read the file as UTF-8, not GBK.
    return matrix.to_csv(index=False).encode("utf-8-sig")


def matrix_xlsx(matrix: pd.DataFrame, title: str) -> bytes:
    """An .xlsx with a title line, the matrix as a table, and a count per unit below it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "责任清单"
    columns = list(matrix.columns)
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(columns)
    for values in matrix.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in values])
    units = columns[len(MATRIX_FIXED) :]
    counts = ["各单位任务数", "", "", ""] + [int((matrix[unit] != "").sum()) for unit in units]
    sheet.append(counts)

    thin = Side(style="thin", color="999999")
    header_fill = PatternFill("solid", fgColor="DDE7F3")
    last_row = sheet.max_row
    for row in sheet.iter_rows(min_row=2, max_row=last_row):
        for cell in row:
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            cell.alignment = Alignment(
                wrap_text=True,
                vertical="center",
                horizontal="left" if cell.column in (2, 4) else "center",
            )
            if cell.row in (2, last_row):
                cell.font = Font(bold=True)
                cell.fill = header_fill
    widths = {1: 6, 2: 36, 3: 12, 4: 12}
    for index in range(1, len(columns) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(index, 12)
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- adding and removing files ----------------------------------------------------------------


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')

# What an office worker should do about a file the loader refused, by a phrase of its reason.
_EXPLANATIONS = (
    ("empty document", "文件是空的，没有内容。"),
    ("encrypted PDF", "PDF 已加密，需要密码才能打开。请提供未加密的版本。"),
    ("corrupt PDF", "PDF 文件已损坏（可能没有下载完整），请重新下载或导出后再试。"),
    ("scanned", "这是扫描件（只有图片），没有可提取的文字，需要先做文字识别（OCR）。"),
    ("text layer is unreadable", "PDF 中的文字无法识别（字体缺少编码），需要先做文字识别（OCR）。"),
    ("corrupt .docx", "Word 文件已损坏，请用 Word 打开后重新保存为 .docx。"),
    (
        "unsupported file type .doc,",
        "这是旧版 Word（.doc）文件，请在 Word 中另存为 .docx 后再上传。",
    ),
    ("unsupported file type .wps", "这是 WPS 格式文件，请另存为 .docx 后再上传。"),
    ("unsupported file type .ofd", "这是 OFD 格式文件，请导出为 PDF 后再上传。"),
    ("unsupported file type", "不支持这种文件类型。可上传 txt、pdf、docx、html 文件。"),
    ("this is a PDF file", "这其实是 PDF 文件，扩展名却是 .txt，请改为 .pdf 后再上传。"),
    ("this is a ZIP package", "这其实是 Word 等压缩格式文件，扩展名却是 .txt。"),
    ("no title found", "没有找到文件标题，可能不是公文或内容为空。"),
    ("no body text", "只有标题，没有找到正文。"),
)


def explain_error(reason: str) -> str:
    """A one-line Chinese explanation of a loader or segmenter failure."""
    for phrase, explanation in _EXPLANATIONS:
        if phrase in reason:
            return explanation
    return "无法读取这个文件的文字。"


@dataclass
class UploadOutcome:
    """What happened to one uploaded file."""

    name: str
    status: str  # 新增 / 更新 / 并入 / 未变化 / 失败
    doc_id: str | None = None
    title: str = ""
    doc_number: str | None = None
    clauses: int = 0
    tasks: int = 0
    unknown_units: list[str] = field(default_factory=list)
    error: str = ""  # the explanation in Chinese
    detail: str = ""  # the technical reason, as the loader gave it
    saved_as: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "失败"


def validate_upload(name: str, data: bytes) -> Document:
    """Load and segment an upload in memory; raises LoadError or SegmentError. Nothing is saved."""
    return parse_document(load_bytes(name, data))


def failed_outcome(name: str, error: Exception) -> UploadOutcome:
    reason = error.reason if isinstance(error, LoadError) else str(error).split(": ", 1)[-1]
    return UploadOutcome(name, "失败", error=explain_error(reason), detail=reason)


def safe_filename(name: str) -> str:
    """The file's own name without any folder part or characters a file system refuses."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .")
    return cleaned or "upload"


def save_upload(folder: Path, name: str, data: bytes) -> Path:
    """Keep the original bytes under their own name; a different file of the same name gets a
    numbered name instead of overwriting it, the same file is not stored twice."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_filename(name)
    stem, suffix = target.stem, target.suffix
    number = 1
    while target.exists() and target.read_bytes() != data:
        number += 1
        target = folder / f"{stem}-{number}{suffix}"
    if not target.exists():
        target.write_bytes(data)
    return target


def describe_build(
    store: Store, report: BuildReport, saved: list[tuple[str, Path]], existing: set[str]
) -> list[UploadOutcome]:
    """An outcome per saved upload (name, path) from the build report and the store after it.

    ``existing`` holds the documents that were in the store before: an upload of one of them
    becomes one more source of that document."""
    outcomes = []
    for name, path in saved:
        key = str(path.resolve())
        error = next((line for line in report.errors if line.startswith(key)), None)
        if error is not None:
            reason = error[len(key) :].lstrip(": ")
            outcomes.append(UploadOutcome(name, "失败", error=explain_error(reason), detail=reason))
            continue
        doc_id = report.documents.get(key)
        document = store.document(doc_id) if doc_id else None
        if document is None:
            outcomes.append(UploadOutcome(name, "失败", error="建立索引时没有得到文件内容。"))
            continue
        if key in report.unchanged:
            status = "未变化"
        elif key in report.updated:
            status = "更新"
        elif doc_id in existing:
            status = "并入"
        else:
            status = "新增"
        outcomes.append(
            UploadOutcome(
                name,
                status,
                doc_id=doc_id,
                title=document.title,
                doc_number=document.doc_number,
                clauses=len(store.clauses(doc_id)),
                tasks=len(store.tasks(doc_id)),
                unknown_units=report.unknown_units.get(doc_id, []),
                saved_as=path.name,
            )
        )
    return outcomes


def uploaded_sources(document: DocumentRecord, uploads_dir: Path) -> list[Path]:
    """The document's files that were added through the app (only those may be removed here)."""
    folder = uploads_dir.resolve()
    return [Path(p) for p in document.sources if Path(p).resolve().is_relative_to(folder)]


def uploaded_documents(store: Store, uploads_dir: Path) -> list[DocumentRecord]:
    return [d for d in store.documents() if d.in_corpus and uploaded_sources(d, uploads_dir)]


def delete_uploaded_files(document: DocumentRecord, uploads_dir: Path) -> list[Path]:
    """Delete the document's uploaded files; rebuilding the uploads folder then drops its clauses
    (a document that also has files elsewhere keeps those)."""
    removed = []
    for path in uploaded_sources(document, uploads_dir):
        if path.exists():
            path.unlink()
        removed.append(path)
    return removed
