"""The 学校美育 collection: 80 real documents nobody tuned the indexer to."""

import re

import pytest

from conftest import CORPUS

MEIYU = CORPUS / "meiyu"
NOTE_LABEL = re.compile(r"(牵头|责任|配合)(单位|部门|领导)\s*[:：]")


def test_every_file_is_indexed(corpus_store):
    files = sorted(MEIYU.iterdir())
    assert len(files) == 80
    assert {f"meiyu/{f.name}" for f in files} <= set(corpus_store.sources())


def test_the_pdf_and_txt_of_one_opinion_are_one_document_with_two_sources(corpus_store):
    document = corpus_store.find_document("教体艺〔2019〕2号")
    assert sorted(s.rsplit(".", 1)[1] for s in document.sources) == ["pdf", "txt"]
    assert document.title == "教育部关于切实加强新时代高等学校美育工作的意见"
    # the PDF's Ministry header contributes facts the TXT lacks
    assert document.fields.get("信息索引", "").startswith("360A17-08-2019-0018")


def test_documents_have_numbers_issuers_levels_and_outlines(corpus_store):
    documents = [
        d for d in corpus_store.documents() if d.in_corpus and d.doc_number != "咸市教〔2021〕14号"
    ]
    assert len(documents) == 79  # 80 files, one of them the PDF twin of a TXT
    with_number = [d for d in documents if d.doc_number]
    assert len(with_number) >= 73
    assert all(
        d.title and d.level in {"国家级", "省级", "市级", "县级"} for d in documents if d.issuer
    )
    assert sum(1 for d in documents if d.issuer) >= 78  # one text carries no issuer at all
    for document in documents:
        assert len(corpus_store.clauses(document.doc_id)) >= 3, document.title


@pytest.mark.parametrize(
    ("number", "issuer", "level", "jurisdiction"),
    [
        ("国办发〔2015〕71号", "国务院办公厅", "国家级", "全国"),
        ("鄂政办发〔2016〕32号", "湖北省人民政府办公厅", "省级", "湖北省"),
        ("青政办发〔2016〕33号", "青岛市人民政府办公厅", "市级", "青岛市"),
        ("大政办发〔2016〕24号", "大连市人民政府办公厅", "市级", "大连市"),
        ("昌政办发〔2018〕28号", "北京市昌平区人民政府办公室", "县级", "北京市昌平区"),
        ("泉政办〔2017〕106号", "泉州市人民政府办公室", "市级", "泉州市"),
    ],
)
def test_issuer_level_and_jurisdiction(corpus_store, number, issuer, level, jurisdiction):
    document = corpus_store.find_document(number)
    assert (document.issuer, document.level, document.jurisdiction) == (issuer, level, jurisdiction)


def test_the_hubei_opinion_has_eighteen_notes_on_its_items(corpus_store):
    document = corpus_store.find_document("鄂政办发〔2016〕32号")
    tasks = corpus_store.tasks(document.doc_id)
    assert len(tasks) == 18
    assert all("湖北省教育厅" in t.units for t in tasks)
    last = tasks[-1]
    assert last.path[-1] == "（二十一）建立美育督导制度"
    assert "责任单位" not in last.text
    combined = next(t for t in tasks if "各市、州、县人民政府" in t.units)
    assert "湖北省委宣传部" in combined.units or "湖北省文化厅" in combined.units


def test_every_responsibility_note_in_the_collection_is_attached(corpus_store):
    labels_in_files = sum(
        len(NOTE_LABEL.findall(f.read_text(encoding="utf-8"))) for f in MEIYU.glob("*.txt")
    )
    notes = [
        row[0] for row in corpus_store.db.execute("SELECT note FROM clauses WHERE note IS NOT NULL")
    ]
    seed_labels = 20  # 牵头领导 and 责任单位 on each of the seed's 10 tasks
    assert sum(len(NOTE_LABEL.findall(n)) for n in notes) == labels_in_files + seed_labels


def test_a_note_on_its_own_line_belongs_to_the_item_above_it(corpus_store):
    document = corpus_store.find_document("泉政办〔2017〕106号")
    tasks = corpus_store.tasks(document.doc_id)
    first = tasks[0]
    assert first.marker and first.unit_roles.get("泉州市教育局") == "lead"
    assert all(t.marker for t in tasks)


def test_units_are_qualified_by_the_issuing_jurisdiction(corpus_store):
    qingdao = corpus_store.tasks(corpus_store.find_document("青政办发〔2016〕33号").doc_id)
    dalian = corpus_store.tasks(corpus_store.find_document("大政办发〔2016〕24号").doc_id)
    assert any("青岛市教育局" in t.units for t in qingdao)
    assert any("大连市教育局" in t.units for t in dalian)
    assert not any("大连市教育局" in t.units for t in qingdao)


def test_provincial_opinions_cite_the_state_council_opinion_in_the_collection(corpus_store):
    national = corpus_store.find_document("国办发〔2015〕71号")
    assert national.in_corpus
    citing = {label for _, label in corpus_store.cited_by(national.doc_id)}
    assert {"鄂政办发〔2016〕32号", "辽政办发〔2015〕113号", "闽政办〔2016〕69号"} <= citing
    assert len(citing) >= 20


def test_damaged_numbering_still_makes_headings(corpus_store):
    clauses = corpus_store.clauses(corpus_store.find_document("鄂政办发〔2016〕32号").doc_id)
    principles = [
        c for c in clauses if c.path[:2] == ["一、总体要求", "（二）基本原则"] and len(c.path) == 3
    ]
    assert [c.marker for c in principles] == ["1.", "2.", "3."]
    assert principles[0].title == "坚持育人为本，面向全体"


@pytest.mark.parametrize(
    ("number", "bases"),
    [
        # the seed: two bases in one sentence, neither text in the corpus (the catalogue has them)
        ("咸市教〔2021〕14号", {"咸发〔2021〕10号", "鄂教财〔2021〕1号"}),
        ("鄂政办发〔2016〕32号", {"国办发〔2015〕71号"}),
        # a city naming the national and its provincial document
        ("大政办发〔2016〕24号", {"国办发〔2015〕71号", "辽政办发〔2015〕113号"}),
        # a notice forwarding a document, its 文号 printed in 〈〉
        ("呼政办发〔2016〕22号", {"内政办发〔2015〕148号"}),
        # measures whose first article names their basis; the plan a notice issues is no basis
        (
            "闽教办体〔2017〕14号",
            {"闽政办〔2016〕69号", "闽教体〔2015〕27号", "闽教体〔2016〕13号"},
        ),
        ("平政办发〔2017〕125号", {"国办发〔2015〕71号", "甘政办发〔2016〕14号"}),
        # a damaged 文号 (云政办 for 云政办发) still names the document
        ("文政办发〔2017〕294号", {"云政办发〔2016〕90号"}),
    ],
)
def test_the_opening_paragraph_names_the_basis(corpus_store, number, bases):
    document = corpus_store.find_document(number)
    assert {b.doc_number for b in corpus_store.basis_of(document.doc_id)} == bases


def test_a_title_without_its_place_is_read_in_the_citing_province(corpus_store):
    """咸阳 cites 《省政府办公厅关于…实施意见》: 陕西's, not 江苏's of the same title."""
    xianyang = corpus_store.find_document("咸政办发〔2016〕23号")
    [basis] = corpus_store.basis_of(xianyang.doc_id)
    assert basis.doc_number == "陕政办发〔2016〕3号" and basis.in_corpus


def test_a_national_opinion_is_carried_out_across_levels(corpus_store):
    national = corpus_store.find_document("国办发〔2015〕71号")
    implementing = {d.doc_number for d in corpus_store.implemented_by(national.doc_id)}
    assert {"鄂政办发〔2016〕32号", "辽政办发〔2015〕113号", "大政办发〔2016〕24号"} <= implementing
    assert len(implementing) >= 30
