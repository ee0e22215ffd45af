"""Makers of real test files (PDF, DOCX, HTML, GBK TXT, and broken ones) from a 公文 text.

Every maker is deterministic: the same text gives the same content (the DOCX and the unencrypted
PDFs are byte-identical from run to run; an encrypted PDF carries a random file id). The seed is
the 咸宁市教育局 notice 咸市教〔2021〕14号, read from ``corpus/`` in the repo.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_NAME = "xianning-jyj-2021-14.txt"
SEED_PATH = REPO_ROOT / "corpus" / SEED_NAME

# The first line of the seed's body: everything from here on must survive every format.
SEED_BODY_START = "各县(市、区)教育局,局机关各科室、有关直属单位:"
SEED_DOC_NUMBER = "咸市教〔2021〕14号"
SEED_INDEX_NO = "011337776/2022-32033"

FONT = "STSong-Light"
RUNNING_HEADER = "咸宁市教育局文件"
FIXED_TIME = datetime(2021, 9, 3, 9, 0, 0)

# Header-field labels as the disclosure sites print them (spaces inside are kept as found).
_LABELS = (
    "索引号",
    "文号",
    "主题分类",
    "发文单位",
    "名称",
    "发布日期",
    "有效性",
    "发文日期",
    "成文日期",
    "信息名称",
    "信息索引",
    "生成日期",
    "发文机构",
    "发文字号",
    "信息类别",
    "内容概述",
)
_LABEL_RE = re.compile(
    r"(?:(?<=\s)|^)((?:" + "|".join(r"\s?".join(label) for label in _LABELS) + r"))\s*[:：]\s*"
)


def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@dataclass
class Parsed:
    fields: list[tuple[str, str]]  # header fields in order, label as printed → value
    body: list[str]  # the paragraphs after the header block


def parse_header(text: str) -> Parsed:
    """Split a 公文 text into its leading header fields (``索引号 : …  文 号 : …``) and body."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(lines) and _LABEL_RE.match(lines[i]):
        marks = list(_LABEL_RE.finditer(lines[i]))
        for k, m in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(lines[i])
            fields.append((m.group(1), lines[i][m.end() : end].strip()))
        i += 1
    return Parsed(fields, lines[i:])


def _field_rows(fields: list[tuple[str, str]], per_row: int = 2) -> list[list[str]]:
    rows = []
    for k in range(0, len(fields), per_row):
        row: list[str] = []
        for label, value in fields[k : k + per_row]:
            row += [label, value]
        rows.append(row)
    return rows


# ---------------------------------------------------------------- PDF


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def wrap_line(line: str, max_width: float, size: float) -> list[str]:
    """Hard-wrap one paragraph at the page width, as a typesetter does: as many characters as
    fit, spaces hanging past the margin at the end of a line (so no line starts with one)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[str] = []
    start = 0
    while start < len(line):
        width = 0.0
        i = start
        while i < len(line):
            w = stringWidth(line[i], FONT, size)
            if width + w > max_width and i > start and not line[i].isspace():
                break
            width += w
            i += 1
        out.append(line[start:i])
        start = i
    return out


def make_pdf(
    text: str,
    path: Path | str,
    wrap: int = 35,
    *,
    indent: bool = True,
    header: str | None = RUNNING_HEADER,
    page_numbers: str = "dash",
    lines_per_page: int = 32,
    size: float = 12.0,
    para_gap: float = 0.0,
) -> Path:
    """A Chinese PDF of ``text``: one paragraph per non-empty line, hard-wrapped at ``wrap``
    full-width characters, a running ``header`` line on top of every page and a page number
    at the bottom (``dash`` → ``- 1 -``, ``of`` → ``第 1 页 共 5 页``, ``slash`` → ``1/5``).
    With ``indent`` each paragraph starts with two full-width spaces (　　), like real 公文;
    ``para_gap`` adds that many line pitches of space after each paragraph (as HTML exports do)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_font()
    path = Path(path)
    max_width = wrap * size
    lines: list[tuple[str, bool]] = []  # (line, last line of its paragraph)
    for para in text.splitlines():
        para = para.strip()
        if not para:
            continue
        if indent:
            para = "\u3000\u3000" + para
        pieces = wrap_line(para, max_width, size)
        lines += [(piece, k == len(pieces) - 1) for k, piece in enumerate(pieces)]
    width, height = A4
    left = (width - max_width) / 2
    pitch = size * 1.75
    top, bottom = height - 90, 72
    # lay out: at most lines_per_page lines on a page, and never below the bottom margin
    pages: list[list[tuple[str, bool]]] = [[]]
    y = top
    for line, last in lines:
        if len(pages[-1]) >= lines_per_page or y < bottom:
            pages.append([])
            y = top
        pages[-1].append((line, last))
        y -= pitch * (1 + para_gap) if last else pitch
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle("fixture")
    for number, page in enumerate(pages, start=1):
        c.setFont(FONT, size)
        if header:
            c.setFont(FONT, size * 0.75)
            c.drawCentredString(width / 2, height - 50, header)
            c.setFont(FONT, size)
        y = top
        for line, last in page:
            c.drawString(left, y, line)
            y -= pitch * (1 + para_gap) if last else pitch
        c.setFont(FONT, size * 0.875)
        label = {
            "dash": f"- {number} -",
            "of": f"第 {number} 页 共 {len(pages)} 页",
            "slash": f"{number}/{len(pages)}",
        }.get(page_numbers)
        if label:
            c.drawCentredString(width / 2, 40, label)
        c.showPage()
    c.save()
    return path


def make_scanned_pdf(path: Path | str, pages: int = 2) -> Path:
    """An image-only PDF: pages with drawn shapes and no text at all (like a scan)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = Path(path)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for k in range(pages):
        c.setFillGray(0.85)
        c.rect(60, 80, 470, 680, stroke=1, fill=1)
        c.setFillGray(0.3)
        for row in range(30):
            c.rect(90, 720 - row * 20 - k * 3, 400 - (row % 5) * 30, 8, stroke=0, fill=1)
        c.showPage()
    c.save()
    return path


def make_encrypted_pdf(
    path: Path | str, text: str = "一、总体要求\n测试文本。", *, user_password: str = "secret"
) -> Path:
    """A PDF that needs a password to open (``user_password``); with ``user_password=""``
    it is only owner-protected and opens with the empty password."""
    from pypdf import PdfReader, PdfWriter

    path = Path(path)
    plain = path.with_name(path.stem + ".plain.pdf")
    make_pdf(text, plain, header=None)
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=user_password, owner_password="owner-pw", algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def make_corrupt_pdf(path: Path | str, text: str = "一、总体要求\n测试文本。") -> Path:
    """A PDF cut off half-way, like an interrupted download."""
    path = Path(path)
    make_pdf(text, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# ---------------------------------------------------------------- DOCX


def _pin_zip(path: Path) -> None:
    """Rewrite a zip with fixed member times, so the same input gives the same bytes."""
    with zipfile.ZipFile(path) as zin:
        members = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, blob in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, blob)


def make_docx(text: str, path: Path | str, *, indent: bool = False) -> Path:
    """A DOCX like the ones offices publish: the header fields in a 4-column table
    (label | value | label | value), then the body as one paragraph per line."""
    from docx import Document

    path = Path(path)
    parsed = parse_header(text)
    doc = Document()
    doc.core_properties.created = FIXED_TIME
    doc.core_properties.modified = FIXED_TIME
    doc.core_properties.last_printed = FIXED_TIME
    rows = _field_rows(parsed.fields)
    if rows:
        table = doc.add_table(rows=len(rows), cols=4)
        for r, row in enumerate(rows):
            for col, value in enumerate(row):
                table.cell(r, col).text = value
    for line in parsed.body:
        doc.add_paragraph(("\u3000\u3000" if indent else "") + line)
    doc.save(str(path))
    _pin_zip(path)
    return path


_LEVELS = (("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3."))


def make_numbered_docx(items: list[tuple[int, str]], path: Path | str) -> Path:
    """A DOCX whose headings are numbered by Word itself (automatic list numbering, so the
    numbers are not in the text): level 0 → 一、 level 1 → （一） level 2 → 1.; level -1 is a
    plain paragraph."""
    from docx import Document
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    path = Path(path)
    doc = Document()
    doc.core_properties.created = FIXED_TIME
    doc.core_properties.modified = FIXED_TIME
    numbering = doc.part.numbering_part.element
    levels = "".join(
        f'<w:lvl w:ilvl="{k}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/><w:suff w:val="nothing"/></w:lvl>'
        for k, (fmt, text) in enumerate(_LEVELS)
    )
    numbering.insert(
        0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{levels}</w:abstractNum>')
    )
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    )
    for level, text in items:
        paragraph = doc.add_paragraph(text)
        if level >= 0:
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = 90
    doc.save(str(path))
    _pin_zip(path)
    return path


# ---------------------------------------------------------------- HTML


def make_html(text: str, path: Path | str, *, encoding: str = "utf-8") -> Path:
    """A disclosure-site page: navigation and scripts around a header-field table and the
    body in <p>s (the signature block as one <div> with a <br>), charset declared."""
    path = Path(path)
    parsed = parse_header(text)
    rows = "\n".join(
        "      <tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in _field_rows(parsed.fields)
    )
    body = list(parsed.body)
    parts = []
    k = 0
    while k < len(body):
        line = body[k]
        nxt = body[k + 1] if k + 1 < len(body) else ""
        if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", nxt):
            parts.append(f'      <div class="sign">{escape(line)}<br>{escape(nxt)}</div>')
            k += 2
            continue
        parts.append(f"      <p>{escape(line)}</p>")
        k += 1
    paragraphs = "\n".join(parts)
    html = f"""<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="Content-Type" content="text/html; charset={encoding}">
  <title>{escape(parsed.body[0] if parsed.body else "")}</title>
  <style>.xxgk td {{ border: 1px solid #ccc; }}</style>
  <script>var _hmt = _hmt || []; document.write("<p>脚本内容</p>");</script>
</head>
<body>
  <nav><a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a></nav>
  <div class="main">
    <table class="xxgk">
{rows}
    </table>
    <div class="article">
{paragraphs}
    </div>
  </div>
  <script type="text/javascript">console.log("统计代码");</script>
</body>
</html>
"""
    path.write_bytes(html.encode(encoding))
    return path


# ---------------------------------------------------------------- TXT and other


def make_gbk_txt(text: str, path: Path | str) -> Path:
    """The text in GBK (GB18030 for the few characters GBK lacks), with CRLF line ends."""
    path = Path(path)
    crlf = text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        data = crlf.encode("gbk")
    except UnicodeEncodeError:
        data = crlf.encode("gb18030")
    path.write_bytes(data)
    return path


def make_bom_txt(text: str, path: Path | str) -> Path:
    path = Path(path)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def make_empty_txt(path: Path | str, content: str = "") -> Path:
    """An empty text file (or, with ``content`` like ``" \\r\\n\\u3000\\n"``, a blank one)."""
    path = Path(path)
    path.write_bytes(content.encode("utf-8"))
    return path


def make_unsupported(path: Path | str) -> Path:
    path = Path(path)
    path.write_bytes(b"not a document we know\n")
    return path
