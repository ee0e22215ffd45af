"""The PDF, DOCX, GBK TXT and HTML forms of the seed give the same clauses as the TXT."""

import pytest

from fixtures_make import make_docx, make_gbk_txt, make_html, make_pdf, seed_text
from indexer.ingest.formats import load
from indexer.ingest.segment import parse_document

MAKERS = {
    "pdf": lambda text, folder: make_pdf(text, folder / "seed.pdf", wrap=35),
    "docx": lambda text, folder: make_docx(text, folder / "seed.docx"),
    "gbk-txt": lambda text, folder: make_gbk_txt(text, folder / "seed.txt"),
    "html": lambda text, folder: make_html(text, folder / "seed.html"),
    "gbk-html": lambda text, folder: make_html(text, folder / "seed-gbk.html", encoding="gbk"),
}


def _clauses(document):
    return [
        (
            c.kind,
            c.path,
            c.text,
            c.task_no,
            (c.responsibility.leads, c.responsibility.all_units()) if c.responsibility else None,
        )
        for c in document.clauses
    ]


@pytest.fixture(scope="module")
def original():
    from fixtures_make import SEED_PATH

    return parse_document(load(SEED_PATH))


@pytest.mark.parametrize("form", sorted(MAKERS))
def test_every_form_gives_the_same_clauses(form, original, tmp_path):
    document = parse_document(load(MAKERS[form](seed_text(), tmp_path)))
    assert _clauses(document) == _clauses(original)
    assert [c.clause_id for c in document.clauses] == [c.clause_id for c in original.clauses]
    assert (document.doc_number, document.title, document.signed_date) == (
        original.doc_number,
        original.title,
        original.signed_date,
    )
    assert document.issue_date == original.issue_date
