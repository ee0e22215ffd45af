"""A document's lineage in words, for the command line: its chain, its bases, the documents
carrying it out, and its items side by side with the basis items they carry out."""

from __future__ import annotations

from indexer.lineage.report import Report, Row
from indexer.present.labels import document_label

LOCAL = "（本地新增）"


def report_lines(report: Report) -> list[str]:
    document = report.document
    lines = [f"{document_label(document, 60)}（{document.level or '级别不详'}）"]
    if len(report.chain) > 1:
        lines.append("脉络: " + " → ".join(d.label for d in reversed(report.chain)))
    for basis in report.bases:
        state = "正文已收录" if basis.in_corpus else "正文未收录"
        lines.append(f"依据: {basis.doc_number or ''} 《{basis.title}》 [{state}]")
    if not report.bases:
        lines.append("依据: （开头没有写明依据的上级文件）")
    if report.implemented_by:
        lines.append(f"落实本文件的文件（{len(report.implemented_by)}）:")
        for below in report.implemented_by:
            via = "" if below.doc_id in report.nearest_below else "（经由其他上级文件）"
            lines.append(f"  {document_label(below, 40)}（{below.level or '—'}）{via}")
    alignment = report.alignment
    if alignment is None:
        if report.bases:
            lines.append("（上级文件的正文不在知识库中，无法逐条对照）")
        return lines
    lines.append(f"\n逐条对照（上级文件 {alignment.basis.label}）:")
    lines += [line for row in alignment.rows for line in row_lines(row)]
    if alignment.dropped:
        lines.append("\n上级文件中没有对应条目的:")
        lines += [f"  {item.markers} {item.title}" for item in alignment.dropped]
    return lines


def row_lines(row: Row) -> list[str]:
    depth = "  " * (len(row.item.path) - 1)
    target = (
        LOCAL
        if row.basis_item is None
        else f"{row.basis_item.markers} {row.basis_item.title}  ({row.score:.2f})"
    )
    lines = [f"{depth}{row.item.markers} {row.item.title}  →  {target}"]
    if row.secondary:
        merged = "、".join(f"{s.markers} {s.title}" for s in row.secondary)
        lines.append(f"{depth}    并入: {merged}")
    if row.numbers:
        lines.append(f"{depth}    新增数字与时限: {'；'.join(row.numbers)}")
    if row.units:
        lines.append(f"{depth}    责任单位: {'、'.join(row.units)}")
    return lines
