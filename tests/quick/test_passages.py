"""Every sentence findable: no text of any document is left out of the search passages."""

from collections import defaultdict

from indexer.ingest.metadata import read_header
from indexer.retrieval.generations import embedding_text
from indexer.storage.passages import split_passages

_WORD = str.isalnum


def _passages_by_clause(store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for row in store.passages():
        found[row["clause_id"]].append(row["text"])
    return found


def test_every_clause_is_in_the_passages_or_carried_by_its_children(corpus_store):
    passages = _passages_by_clause(corpus_store)
    embedded_below: dict[str, list[str]] = defaultdict(list)  # clause → its descendants' passages
    for document in corpus_store.documents():
        clauses = corpus_store.clauses(document.doc_id)
        parent_of = {c.clause_id: c.parent_id for c in clauses}
        for clause in clauses:
            for text in passages.get(clause.clause_id, []):
                ancestor = clause.parent_id
                while ancestor is not None:
                    embedded_below[ancestor].append(embedding_text(clause.path, text))
                    ancestor = parent_of.get(ancestor)
    left_out = []
    for document in corpus_store.documents():
        for clause in corpus_store.clauses(document.doc_id):
            own = passages.get(clause.clause_id)
            if own is not None:
                assert "".join(own) == clause.text
            elif clause.kind == "title":
                # The title of a plan a notice issues is found as the document's title.
                assert document in corpus_store.find_documents_by_title(clause.text)
            elif any(map(_WORD, clause.text)):
                # A bare heading: the passages of the clauses under it begin with its words.
                below = embedded_below.get(clause.clause_id, [])
                if not below or not all(clause.text in text for text in below):
                    left_out.append(clause.text[:40])
    assert left_out == []


def test_every_body_line_of_every_source_is_in_some_clause(corpus_store):
    """What the segmenter keeps out of clauses is the header it reads into facts: nothing else."""
    missing = []
    for document in corpus_store.documents():
        if not document.in_corpus:
            continue
        clauses = corpus_store.clauses(document.doc_id)
        kept = "".join(ch for c in clauses for ch in c.text + (c.note or "") if _WORD(ch))
        for row in corpus_store.source_texts(document.doc_id):
            lines = row["text"].split("\n")
            header = read_header([line.strip(" \t　") for line in lines])
            for index, line in enumerate(lines):
                words = "".join(ch for ch in line if _WORD(ch))
                if words and index not in header.metadata_lines and words not in kept:
                    missing.append(f"{row['path']}:{index + 1}: {line[:30]}")
            break  # the document's clauses come from its preferred source
    assert missing == []


def test_a_one_sentence_item_is_found_by_its_own_words(corpus_store):
    text = "3.普通高中美育课程要满足学生不同艺术爱好和特长发展的需要"
    rows = [r for r in corpus_store.passages() if r["text"].startswith(text)]
    assert rows, "the one-sentence item has no passage"


def test_passages_keep_the_text_whole():
    text = "。".join(["这是一个关于教育帮扶政策的较长句子" * 3] * 20) + "。"
    assert "".join(split_passages(text, limit=120)) == text
