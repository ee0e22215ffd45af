"""Why a file could not be added, in Chinese: what an office worker should do about it."""

from __future__ import annotations

from indexer.storage.uploads import NOT_STORED

# By a phrase of the reason the loader, the segmenter or the build gave.
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
    (
        "the limit",  # over a limit of kb.toml: size, pages, unpacked size, time or memory
        "文件超出了知识库的处理上限（见技术信息），请拆分或精简后再上传，或请管理员调整 kb.toml 中的限制。",
    ),
    ("could not be read (", "无法读取这个文件。"),  # the reading library failed unexpectedly
    (NOT_STORED, "建立索引时没有得到文件内容。"),
)


def explain_error(reason: str) -> str:
    """A one-line Chinese explanation of why a file was left out, from the technical reason."""
    for phrase, explanation in _EXPLANATIONS:
        if phrase in reason:
            return explanation
    return "无法读取这个文件的文字。"
