"""Understanding a question: which kind of answer it wants, and what it names.

Kinds, in the order they are tried:
- basis: what a document carries out (根据哪些文件制定的, 依据是什么, 落实的是哪个上级文件)
- facts: a document's own facts (发给了哪些单位, 谁发的, 哪天印发的, 还有效吗)
- docnum: a 文号 or a 《title》 with nothing else asked (是什么文件, 哪些文件引用了它)
- leader: an official (牵头领导) of the store
- unit: a unit, asked what it does (的职责, 承担什么, 干了哪些事)
- who: 谁 / 哪个部门 / 哪个科室 / 牵头 …
- search: anything else
What a question names narrows where the answer is looked for: a document (by 文号, by 《title》,
by "这个文件" for the one in scope, or by the words of its title and place), places (湖北 and all
within it) and issuers (国办, 教育部).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.answering.rank import longest_shared_run
from indexer.answering.vocabulary import UnitName, Vocabulary
from indexer.ingest.docnum import find_doc_numbers
from indexer.storage.store import DocumentRecord, Store

_WHO = re.compile(
    r"谁|哪个领导|哪位领导|哪位|分管的|哪个部门|哪些部门|哪个科|哪些科|哪个处|哪个单位|哪些单位|哪家"
    r"|那个科|那个部门|那个单位|什么部门|什么单位|责任单位|责任部门|牵头|负责部门|负责单位|找哪|归哪|由哪"
)
_DUTIES = re.compile(
    r"哪些|职责|责任|任务|工作|负责什么|分管|管什么|管哪|干什么|做什么|干了|干啥|做啥|管啥|负责啥|有什么"
    r"|参与|事项|清单|承担|担负|要做|要负责"
)
# 哪个科室 asks for a section of a bureau; 哪个单位 / 部门 for any unit.
_ASKS_SECTION = re.compile(r"(哪|那|什么|哪些)个?(科室|科|处室|处)")
# A run of 《 is excluded inside: with it, each 《 would start a scan to the end (quadratic).
_TITLE = re.compile(r"《([^《》]{4,})》")
# "这个文件" and its kin: the document in scope.
_THIS_DOCUMENT = re.compile(
    r"(这个|这份|这一|该|本|此)(实施方案|实施意见|工作方案|文件|方案|通知|意见|办法|规定|决定|复函|函|细则|规划|计划|要点)"
)
_BASIS = re.compile(
    r"(根据|依据|按照|落实|贯彻)[^，。？?]{0,10}(哪|什么|啥)[^，。？?]{0,6}(文件|精神|制定|出台|发的|定的|印发)"
    r"|(根据|依据|落实|贯彻)的?[^，。？?]{0,4}(上级|省级|市级|国家)?文件是(哪|什么|啥)"
    r"|依据是什么|的依据|依据的是|制定依据|出台依据|上级文件|根据了哪些|依据了哪些"
)
_FACTS = {
    "addressees": re.compile(r"发给(了)?|主送|下发(给|到)|发到哪|收文单位|复函给|致(哪|谁)"),
    "issuer": re.compile(
        r"谁发的|谁印发|谁制定|谁出台|由谁(发|印发|制定|出台)|联合(印)?发"
        r"|(哪|几)个?(单位|部门|机关).{0,4}(发|印发|制定|出台|下发)|发文(单位|机关)"
        r"|是哪个(单位|部门)"
    ),
    "date": re.compile(
        r"(哪天|何时|什么时候|哪一天|几月几号|哪年|日期).{0,4}(印发|发布|出台|发的|成文|签发|公布|下发)"
        r"|(印发|发布|出台|成文|落款|签发|公布|发文)(日期|时间|于|是哪天|是什么时候)"
    ),
    "validity": re.compile(r"有效(吗|没|不|嘛|么)|还有效|失效|废止|过期|现行|有效性|还管用"),
}
# What a question about a document itself may say besides naming it.
_DOCUMENT_WORDS = re.compile(
    r"是什么文件|什么文件|哪个文件|是什么|讲了什么|讲的什么|说了什么|内容|是关于什么|关于什么|主要讲"
    r"|哪些文件|哪个市|哪些市|哪些省|哪些州市|哪些盟市|哪些地市|引用|转发|贯彻|落实|执行|在落实"
    r"|被|了|它|吗|呢|的|是|哪些|哪个|谁|有|\W"
)


_LEVEL_ASKED = re.compile(r"(国家|中央|省|市|县)级?(的|里)?(上级)?文件")
_LEVELS = {"国家": "国家级", "中央": "国家级", "省": "省级", "市": "市级", "县": "县级"}
# Who cites a document is asked of its card: 谁转发了, 谁在落实.
_WHO_CITES = re.compile(r"谁在?(转发|引用|落实|贯彻|执行)")
# A question naming a document by the words of its title says what kind of document it is.
_DOCUMENT_TYPE = re.compile(r"文件|方案|意见|通知|办法|规定|复函|决定|细则|规划|计划|要点")
# More than this many characters besides the document's name and the words about documents: the
# question asks about what the document says, not about the document.
_CONTENT_CHARS = 8


@dataclass
class Intent:
    kind: str  # basis / facts / docnum / leader / unit / who / search
    unit: str | None = None  # the unit as named in the question
    units: list[UnitName] = field(default_factory=list)  # units named by a part of their name
    leader: str | None = None
    doc_text: str | None = None  # the 文号 or 《title》 as typed
    document: DocumentRecord | None = None  # the document named (文号, 《title》, title words)
    this_document: bool = False  # "这个文件": the document in scope
    places: list[str] = field(default_factory=list)  # place names as written
    place_doc_ids: set[str] | None = None  # documents of the places and issuers named
    issuers: list[str] = field(default_factory=list)
    asks_section: bool = False  # 哪个科室: a section of a bureau, not just any unit
    fields: list[str] = field(default_factory=list)  # facts asked: addressees, issuer, date …
    level: str | None = None  # 省级 … : the level of document asked for (依据的省级文件)
    topic: str = ""  # the question without the names that only narrowed it


def understand(
    question: str, vocabulary: Vocabulary, store: Store, words: list[str] | None = None
) -> Intent:
    """The kind of answer ``question`` wants and the names in it (see the module's docstring);
    ``words``: the question cut into words (short names of issuers must be whole words)."""
    places = vocabulary.find_places(question)
    issuers, issuer_docs = vocabulary.find_issuers(question, words or [])
    place_docs = (
        vocabulary.documents_in(set().union(*(codes for _, codes in places))) if places else None
    )
    if issuers:
        place_docs = (
            issuer_docs if place_docs is None else (place_docs & issuer_docs or issuer_docs)
        )
    intent = Intent(
        kind="search",
        places=[name for name, _ in places],
        place_doc_ids=place_docs,
        issuers=issuers,
        asks_section=bool(_ASKS_SECTION.search(question)),
        this_document=bool(_THIS_DOCUMENT.search(question)),
    )
    topic = question
    numbers = find_doc_numbers(question)
    title = _TITLE.search(question)
    if numbers:
        intent.doc_text = question[numbers[0].start : numbers[0].end]
        intent.document = store.find_document(intent.doc_text)
        topic = topic.replace(intent.doc_text, " ")
    elif title and (named := store.find_document(title.group(1))) is not None:
        # A quoted title that names no known document is part of the question.
        intent.doc_text, intent.document = title.group(0), named
        topic = topic.replace(title.group(0), " ")
    for name in (*intent.places, *intent.issuers):
        topic = topic.replace(name, " ")
    intent.topic = _THIS_DOCUMENT.sub(" ", topic).strip() or question

    asks_about_document = intent.doc_text is not None or intent.this_document
    fields = [name for name, pattern in _FACTS.items() if pattern.search(question)]
    if _BASIS.search(question):
        intent.kind = "basis"
        level = _LEVEL_ASKED.search(question)
        intent.level = _LEVELS[level.group(1)] if level else None
    elif fields and (asks_about_document or _names_document(question, vocabulary, intent)):
        intent.kind, intent.fields = "facts", fields
    if intent.kind in ("basis", "facts"):
        if intent.document is None and not intent.this_document:
            intent.document = name_document(question, vocabulary, intent.place_doc_ids)
        return intent
    asked = _DOCUMENT_WORDS.sub("", topic)
    who_else = _WHO.search(_WHO_CITES.sub("", topic))
    if intent.doc_text is not None and not who_else and len(asked) < _CONTENT_CHARS:
        intent.kind = "docnum"
        return intent
    leader = vocabulary.find_leader(question)
    if leader:
        intent.kind, intent.leader = "leader", leader
        return intent
    unit = vocabulary.find_unit(question)
    if unit and _DUTIES.search(question):
        intent.kind, intent.unit = "unit", unit
        return intent
    if not unit and _DUTIES.search(question) and not _WHO.search(question):
        units = vocabulary.find_units_by_part(question)
        if units:
            intent.kind, intent.units, intent.unit = "unit", units, units[0].name
            return intent
    if _WHO.search(question):
        intent.kind = "who"
    return intent


def name_document(
    question: str, vocabulary: Vocabulary, within: set[str] | None
) -> DocumentRecord | None:
    """The document a question names by the words of its title (咸宁教育局那个有效衔接实施方案,
    湖北省的美育实施意见): the one sharing the longest run of characters with the question,
    among the documents of the places it names, when that run is long enough to mean it."""
    best, best_length, runner_up = None, 0, 0
    for doc_id, document in vocabulary.documents.items():
        if within is not None and doc_id not in within:
            continue
        length = longest_shared_run(question, document.title)
        if length > best_length:
            best, best_length, runner_up = document, length, best_length
        elif length > runner_up:
            runner_up = length
    wanted = 4 if within is not None else 6
    return best if best_length >= wanted and best_length > runner_up else None


def _names_document(question: str, vocabulary: Vocabulary, intent: Intent) -> bool:
    return bool(_DOCUMENT_TYPE.search(question)) and (
        name_document(question, vocabulary, intent.place_doc_ids) is not None
    )
