"""The responsibility matrix (责任分工表) of a document's tasks, and its CSV and Excel exports."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable

import pandas as pd

from indexer.present.citations import path_markers
from indexer.storage.store import ClauseRecord

# Matrix cells: the responsible units get a dot, so 牵头/配合 stand out where the text names them.
MATRIX_MARKS = {"lead": "牵头", "responsible": "●", "cooperating": "配合"}
MATRIX_FIXED = ("序号", "任务", "条款", "牵头领导")


def task_units(tasks: Iterable[ClauseRecord]) -> list[tuple[str, int]]:
    """Units named by ``tasks`` with how many tasks each has, most first, ties in text order."""
    counts: Counter[str] = Counter()
    for task in tasks:
        counts.update(task.units)
    order = {name: i for i, name in enumerate(counts)}
    return sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))


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


def matrix_csv(matrix: pd.DataFrame) -> bytes:
    """The matrix as CSV bytes that Excel opens correctly."""
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
