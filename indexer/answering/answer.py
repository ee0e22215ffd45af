"""Grounded answers: every answer names the clause it stands on. No text is generated.

``Answerer.ask`` is the one answer function: the CLI's ``ask`` and the Streamlit app both call it,
and its result is the JSON contract documented in the README.

Where an answer is looked for: the document the question names or points at ("这个文件": the
document in scope, else the home document), else the places and issuers it names (湖北 and every
place in it), else everywhere, the home body's documents first among answers of comparable
strength (a clearly better answer elsewhere still wins, labelled with its place).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from indexer.answering import cards
from indexer.answering.cards import hit_dict
from indexer.answering.duties import Duties, duties_of, leader_duties, unit_duties
from indexer.answering.intent import Intent, understand
from indexer.answering.rank import Judge
from indexer.answering.vocabulary import Vocabulary, home_place
from indexer.config import DEFAULT_LIMITS, Home, Limits
from indexer.retrieval.search import SearchFilters, SearchIndex
from indexer.storage.store import ClauseRecord, DocumentRecord, Store

WHO_CANDIDATES = 30
SEARCH_CANDIDATES = 20  # reranked down to k
QUANTITY_BONUS = 0.15
# Answers this close to the best are of comparable strength: the home document's comes first,
# and the others are offered as alternatives.
COMPARABLE = 0.06
ALTERNATIVE = 0.12
SECTION_BONUS = 0.1  # 哪个科室: a task naming a section of a bureau
# Evidence enough that the corpus treats what is asked: a good share of its content words in one
# clause, a run of three of its characters, or a passage nearer to it than any passage is to a
# question about everyday life (OFF_TOPIC), whatever the model and the corpus.
SUPPORT_COVERAGE = 0.4
OFF_TOPIC_MARGIN = 0.003
SUPPORT_PHRASE = 3
OFF_TOPIC = (
    "明天会下雨吗", "今天的天气预报", "股票行情怎么看", "哪家餐厅好吃", "红烧肉怎么做", "电影票多少钱",
    "手机没信号怎么办", "世界杯足球比赛结果", "去机场怎么坐地铁", "酒店怎么订", "感冒了吃什么药",
    "信用卡怎么还款", "宠物猫不吃饭", "汽车保养多久一次", "租房合同怎么签", "快递几天能到",
    "电脑开不了机", "减肥吃什么好", "旅游景点门票", "周末去哪里玩",
)  # fmt: skip
RETRIEVAL_SHARE = 0.4  # of the who ranking; the rest is the clause's own evidence (rank.py)
SEARCH_RETRIEVAL_SHARE = 0.7  # of a clause search: paraphrases share few words with their clause

_NUMBER = r"[0-9０-９一二两三四五六七八九十百]+"
_QUANTITY_QUESTION = re.compile(
    r"几(?P<unit>[年个所次名项节天周岁届条类批分])|多少(?P<unit2>学分|课时|学时|年|个|所|名|人|天|周|次)?"
    r"|多久|多长时间|(?P<share>百分之几|多大比例|比例是多少|占比)"
)
_SECTION = re.compile(r"(科|处|室)$")
_SECTION_KIND = "局机关科室"


def prefer_quantities(
    question: str, hits: list[tuple[ClauseRecord, float]]
) -> list[tuple[ClauseRecord, float]]:
    """ "过渡期几年？" wants a clause that states a number of years: among close candidates, one
    holding a number with the unit asked for moves up."""
    match = _QUANTITY_QUESTION.search(question)
    if not match or not hits:
        return hits
    unit = (
        match["unit"]
        or match["unit2"]
        or ("年|个?月|天|周" if match.group(0) in ("多久", "多长时间") else "")
        or ("%|％|成" if match["share"] else "")
    )
    states = re.compile(f"{_NUMBER}(?:{unit})" if unit else _NUMBER)
    rescored = [(c, s + QUANTITY_BONUS * bool(states.search(c.text))) for c, s in hits]
    return sorted(rescored, key=lambda pair: -pair[1])


@dataclass
class AskOptions:
    k: int = 5
    doc: str | None = None  # a 文号 or title: only this document; also what "这个文件" means
    filters: SearchFilters | None = None  # further restrictions from the app (level, validity …)
    mode: str = "hybrid"  # hybrid / lexical / dense
    lexical_weight: float | None = None  # the hybrid's BM25 share; None → search.LEXICAL_WEIGHT
    context: str | None = None  # the document in scope without narrowing (the app's current one)
    home: str | None = None  # the home body for this question; None: the knowledge base's
    rerank: bool = True  # the second stage (rank.py); off only to measure what it adds


@dataclass
class _Candidate:
    clause: ClauseRecord
    score: float  # combined, for ordering
    tier: int  # 0 home, 1 the places above home, 2 elsewhere


class Answerer:
    """Answers questions over one store and its search index."""

    def __init__(
        self,
        store: Store,
        index: SearchIndex,
        limits: Limits = DEFAULT_LIMITS,
        home: Home | None = None,
    ):
        self.store = store
        self.index = index
        self.limits = limits
        self.home = home or Home()
        self.vocabulary = Vocabulary.from_store(store)
        self.judge = Judge(index.tokenizer, store.clause_texts())
        self._ceiling: float | None = None
        self._task_of: dict[str, str] = {}
        self._task_area: frozenset[str] = frozenset()
        self._map_tasks()

    def close(self) -> None:
        """Let go of the store's snapshot (and the store): builds may reclaim what it held."""
        self.store.release_snapshot()
        self.store.close()

    def _map_tasks(self) -> None:
        """Each clause under a task (a paragraph developing a numbered item) answers for that task."""
        parent_of, is_task = {}, set()
        for clause_id, parent_id, task_no in self.store.clause_tree():
            parent_of[clause_id] = parent_id
            if task_no is not None:
                is_task.add(clause_id)
        for clause_id in parent_of:
            node = clause_id
            while node is not None and node not in is_task:
                node = parent_of.get(node)
            if node is not None:
                self._task_of[clause_id] = node
        # Frozen: the search index keeps the passage mask of a frozenset filter.
        self._task_area = frozenset(self._task_of)

    # -- the one answer function -------------------------------------------------------------

    def ask(self, question: str, options: AskOptions | None = None) -> dict:
        options = options or AskOptions()
        question = question.strip()
        notice = None
        cap = self.limits.max_question_chars
        if len(question) > cap:
            # Every step's cost grows with the question; nobody types a page into a search box.
            question = question[:cap]
            notice = f"问题过长，只按前 {cap} 个字回答（max_question_chars）"
        words = self.index.tokenizer.tokens(question, drop_stopwords=False)
        intent = understand(question, self.vocabulary, self.store, words)
        if intent.kind in ("basis", "facts"):
            answer, hits = self._about_document(intent, options)
        elif intent.kind == "docnum":
            answer, hits = self._document(intent, options)
        elif intent.kind in ("unit", "leader"):
            answer, hits = self._duties(intent, options)
        elif intent.kind == "who":
            answer, hits = self._who(intent, options)
        else:
            answer, hits = self._search(intent.topic, self._scope(options, intent), options)
        kind = "search" if intent.kind == "who" and "lead" not in answer else intent.kind
        result = {"query": question, "intent": kind, "answer": answer, "hits": hits}
        if notice:
            result["notice"] = notice
        return result

    # -- where to look --------------------------------------------------------------------------

    def _home_place(self, options: AskOptions) -> str | None:
        return home_place(self.home.body if options.home is None else options.home)

    def home_document(self, options: AskOptions) -> DocumentRecord | None:
        """What "这个文件" means when nothing else is in scope: the configured home document, else
        the home body's most recent document."""
        body = self.home.body if options.home is None else options.home
        if self.home.document and options.home is None:
            return self.store.find_document(self.home.document)
        own = [d for d in self.vocabulary.documents.values() if body and d.issuer == body]
        return max(own, key=lambda d: d.signed_date or d.issue_date or "", default=None)

    def _document_in_scope(self, options: AskOptions) -> DocumentRecord | None:
        for named in (options.doc, options.context):
            if named and (document := self.store.find_document(named)) is not None:
                return document
        return self.home_document(options)

    def _scope(self, options: AskOptions, intent: Intent) -> SearchFilters:
        filters = replace(options.filters) if options.filters else SearchFilters()
        document = intent.document if intent.document and intent.document.in_corpus else None
        if options.doc:
            named = self.store.find_document(options.doc)
            filters.doc_ids = {named.doc_id} if named else set()
        elif document is not None:
            filters.doc_ids = {document.doc_id}
        elif intent.this_document and (here := self._document_in_scope(options)) is not None:
            filters.doc_ids = {here.doc_id}
        elif intent.place_doc_ids is not None:
            # A place narrows what the filters already allow; it never widens it.
            chosen = filters.doc_ids
            filters.doc_ids = (
                set(intent.place_doc_ids) & chosen
                if chosen is not None
                else set(intent.place_doc_ids)
            )
        return filters

    # -- clauses --------------------------------------------------------------------------------

    def _retrieve(
        self, question: str, filters: SearchFilters, options: AskOptions, k: int
    ) -> list[tuple[ClauseRecord, float]]:
        found = self.index.search(
            question, k=k, filters=filters, mode=options.mode, lexical_weight=options.lexical_weight
        )
        clauses = {c.clause_id: c for c in self.store.clauses_by_id(h.clause_id for h in found)}
        return [(clauses[h.clause_id], h.score) for h in found if h.clause_id in clauses]

    def _rerank(
        self, question: str, hits: list[tuple[ClauseRecord, float]], options: AskOptions
    ) -> list[tuple[ClauseRecord, float]]:
        """Retrieval's order corrected by what each clause's own text says (rank.py)."""
        if not options.rerank or not hits:
            return hits
        best = max(score for _, score in hits) or 1.0
        core = len(self.judge.core(question))
        share = SEARCH_RETRIEVAL_SHARE
        rescored = [
            (
                clause,
                share * score / best
                + (1 - share) * self.judge.evidence(question, clause).score(core),
            )
            for clause, score in hits
        ]
        return sorted(rescored, key=lambda pair: -pair[1])

    def _search(
        self, question: str, scope: SearchFilters, options: AskOptions
    ) -> tuple[dict, list[dict]]:
        hits = self._retrieve(question, scope, options, max(options.k, SEARCH_CANDIDATES))
        if not hits and scope.doc_ids is not None and not options.doc:
            # The place named matched no clause: search everywhere rather than answer nothing.
            everywhere = replace(scope, doc_ids=None)
            hits = self._retrieve(question, everywhere, options, SEARCH_CANDIDATES)
        if not self._supported(question, hits):
            return {"found": False}, []
        hits = self._home_first(
            prefer_quantities(question, self._rerank(question, hits, options)), options
        )
        hits = hits[: options.k]
        best = hits[0][0]
        answer = {
            "clause_id": best.clause_id,
            "doc_number": best.doc_number or best.doc_title,
            "path": best.path,
            "found": True,
        }
        return answer, [hit_dict(c, s) for c, s in hits]

    def _home_first(
        self, hits: list[tuple[ClauseRecord, float]], options: AskOptions
    ) -> list[tuple[ClauseRecord, float]]:
        """Among the answers of comparable strength at the top, the home body's first."""
        if not hits:
            return hits
        home = self._home_place(options)
        close = [pair for pair in hits if pair[1] >= hits[0][1] - COMPARABLE]
        close.sort(key=lambda pair: (self.vocabulary.tier(pair[0].doc_id, home), -pair[1]))
        return close + hits[len(close) :]

    def _supported(self, question: str, hits: list[tuple[ClauseRecord, float]]) -> bool:
        """Whether anything in the corpus is behind the question (see SUPPORT_*). A question of
        punctuation, or about a topic no document treats, has nothing."""
        if not self.judge.terms(question) or not hits:
            return False
        core = self.judge.core(question)
        for clause, _ in hits[:SEARCH_CANDIDATES]:
            evidence = self.judge.evidence(question, clause)
            if evidence.coverage >= SUPPORT_COVERAGE or evidence.phrase >= min(
                SUPPORT_PHRASE, len(core)
            ):
                return True
        nearest = self.index.nearest_cosine(question)
        return nearest is not None and nearest > self._off_topic_ceiling() + OFF_TOPIC_MARGIN

    def _off_topic_ceiling(self) -> float:
        """The cosine that questions about everyday life reach in this corpus with this model."""
        if self._ceiling is None:
            self._ceiling = max((self.index.nearest_cosine(probe) or 0.0) for probe in OFF_TOPIC)
        return self._ceiling

    # -- who is responsible ---------------------------------------------------------------------

    def _who(self, intent: Intent, options: AskOptions) -> tuple[dict, list[dict]]:
        scope = self._scope(options, intent)
        area = self._task_area
        task_scope = replace(
            scope, clause_ids=area & scope.clause_ids if scope.clause_ids is not None else area
        )
        question = intent.topic
        hits = self._retrieve(question, task_scope, options, WHO_CANDIDATES)
        if not hits:
            # No task where the question points (a place whose documents assign none, say 海南's
            # 复函): answer from the best clause there rather than from another place's task.
            return self._search(question, scope, options)
        ranked = self._rank_tasks(question, hits, intent, options)
        if not self._supported(question, [(c.clause, c.score) for c in ranked]):
            return {"found": False}, []
        best = self._choose(ranked)
        answer = {
            "task_no": best.clause.task_no,
            "lead": best.clause.leads,
            "units": best.clause.units,
            "unit_roles": best.clause.unit_roles,
            "clause_id": best.clause.clause_id,
            "doc_number": best.clause.doc_number or best.clause.doc_title,
            "path": best.clause.path,
            "place": self._place_of(best.clause),
            "alternatives": self._alternatives(best, ranked),
            "found": True,
        }
        shown = [best, *(c for c in ranked if c is not best)][: options.k]
        return answer, [hit_dict(c.clause, c.score) for c in shown]

    def _rank_tasks(
        self,
        question: str,
        hits: list[tuple[ClauseRecord, float]],
        intent: Intent,
        options: AskOptions,
    ) -> list[_Candidate]:
        """Paragraphs rolled up to the task they develop (its best retrieval score); then each
        task judged by its own clause, the kind of unit asked for, and where it stands."""
        best_hit: dict[str, float] = {}
        for clause, score in hits:
            best_hit.setdefault(self._task_of[clause.clause_id], score)
        tasks = self.store.clauses_by_id(best_hit)
        top = max(best_hit.values()) or 1.0
        core = len(self.judge.core(question))
        home = self._home_place(options)
        ranked = []
        for task in tasks:
            score = best_hit[task.clause_id] / top
            if options.rerank:
                evidence = self.judge.evidence(question, task).score(core)
                score = RETRIEVAL_SHARE * score + (1 - RETRIEVAL_SHARE) * evidence
            if intent.asks_section:
                score += SECTION_BONUS if _names_section(task) else -SECTION_BONUS
            ranked.append(_Candidate(task, score, self.vocabulary.tier(task.doc_id, home)))
        return sorted(ranked, key=lambda c: -c.score)

    @staticmethod
    def _choose(ranked: list[_Candidate]) -> _Candidate:
        """The best task; among those of comparable strength, the one nearest home."""
        close = [c for c in ranked if c.score >= ranked[0].score - COMPARABLE]
        return min(close, key=lambda c: (c.tier, -c.score))

    def _alternatives(self, best: _Candidate, ranked: list[_Candidate]) -> list[dict]:
        """Tasks of other documents with comparable evidence, one per document, best first."""
        seen = {best.clause.doc_id}
        found = []
        for candidate in ranked:
            clause = candidate.clause
            if candidate.score < best.score - ALTERNATIVE or clause.doc_id in seen:
                continue
            seen.add(clause.doc_id)
            found.append(
                {
                    "doc_number": clause.doc_number or clause.doc_title,
                    "task_no": clause.task_no,
                    "lead": clause.leads,
                    "units": clause.units,
                    "clause_id": clause.clause_id,
                    "place": self._place_of(clause),
                }
            )
        return found

    def _place_of(self, clause: ClauseRecord) -> str | None:
        document = self.vocabulary.documents.get(clause.doc_id)
        return document.jurisdiction if document else None

    # -- who does what --------------------------------------------------------------------------

    def _duties(self, intent: Intent, options: AskOptions) -> tuple[dict, list[dict]]:
        if intent.kind == "leader":
            duties = leader_duties(self.store, intent.leader or "")
        elif intent.units:
            duties = duties_of(
                self.store, intent.unit or "", {u.unit_id: u.name for u in intent.units}
            )
        else:
            duties = unit_duties(self.store, intent.unit or "")
        scope = self._scope(options, intent)
        groups = duties.groups
        if scope.doc_ids is not None:
            kept = [g for g in groups if g.doc_id in scope.doc_ids]
            groups = kept or ([] if options.doc else groups)
        home = self._home_place(options)
        # A unit of many places (市教育科学研究院): home's own first, the others by document.
        groups = sorted(groups, key=lambda g: self.vocabulary.tier(g.doc_id, home))
        duties = Duties(duties.query, duties.kind, duties.matched, groups)
        answer = {
            "unit" if intent.kind == "unit" else "leader": duties.matched,
            "tasks": [
                {
                    "task_no": t.task_no,
                    "title": t.title,
                    "doc_number": t.doc_number,
                    "clause_id": t.clause_id,
                    "role": t.role,
                    "text": t.text,
                }
                for t in duties.tasks
            ],
            "groups": [
                {
                    "doc_number": g.doc_number or g.doc_title,
                    "doc_title": g.doc_title,
                    "unit": g.unit,
                    "tasks": [t.clause_id for t in g.tasks],
                }
                for g in duties.groups
            ],
            "found": bool(duties.tasks),
        }
        clauses = self.store.clauses_by_id(t.clause_id for t in duties.tasks)
        return answer, [hit_dict(c, 1.0) for c in clauses[: options.k]]

    # -- documents ------------------------------------------------------------------------------

    def _document(self, intent: Intent, options: AskOptions) -> tuple[dict, list[dict]]:
        if intent.document is None:
            return cards.not_found(intent.doc_text or "")
        return cards.docnum_answer(self.store, intent.document, options.k)

    def _about_document(self, intent: Intent, options: AskOptions) -> tuple[dict, list[dict]]:
        document = intent.document
        if document is None and (intent.this_document or not intent.places):
            document = self._document_in_scope(options)
        if document is None:
            return {"found": False}, []
        if intent.kind == "basis":
            return cards.basis_answer(self.store, document, intent.level)
        return cards.facts_answer(self.store, document, intent.fields)


def _names_section(task: ClauseRecord) -> bool:
    """Whether a task names a section of a bureau (局机关科室 in the registry, or a 科/处/室)."""
    return any(
        task.unit_kinds.get(name) == _SECTION_KIND or _SECTION.search(name) for name in task.units
    )
