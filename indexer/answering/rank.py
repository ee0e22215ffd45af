"""Second-stage ranking: how well a clause's own text says what the question asks.

Retrieval (BM25 and the encoder over passages with their headings) finds candidates; it credits a
broad item that touches many stages as much as the task that says the thing. The evidence here
is read off the clause itself:
- coverage: the share of the question's content words the clause's own text holds, each word
  weighted by how rare it is in the corpus;
- phrase: the longest run of the question (after its question words) that the text holds
  verbatim, which weighs most: a task that says 特殊教育学校 beats one that says 学校 and 特殊;
- heading: content words that the clause's headings hold.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.retrieval.tokenizer import Tokenizer
from indexer.storage.records import ClauseRecord

# What a question says about the asking, not about the thing asked.
_QUESTION_WORDS = re.compile(
    r"请问|请教|想问|问一下|一下|谁|哪个|哪些|哪位|哪家|哪里|哪儿|什么|啥|怎么|怎样|如何|吗|呢|吧|呀|啊"
    r"|是不是|能不能|会不会|有没有|可不可以|要不要|负责|牵头|分管|管理|归|由|找|部门|单位|科室|领导"
    r"|我们|我|你们|你|他们|这个|那个|这块|这件事|这项|有关|相关|方面|的|了|是|在|和|与|及|或|等"
    r"|[\W\d]"
)
_MIN_PHRASE = 2  # one shared character says nothing
_EVIDENCE_KEPT = 2000
# How rare a word is, read off at most this many clause texts (a fixed sample beyond): each new
# word of a question is looked for in all of them, which must stay well under a millisecond
# in a store of a million clauses. Rarity needs no more to tell 特殊教育 from 学校.
IDF_SAMPLE = 5000


@dataclass(frozen=True)
class Evidence:
    coverage: float  # 0..1
    phrase: int  # characters
    heading: float  # 0..1

    def score(self, core_length: int) -> float:
        """One number: coverage, the phrase as a share of the question's core, headings."""
        phrase = self.phrase / core_length if core_length and self.phrase >= _MIN_PHRASE else 0.0
        return 0.5 * self.coverage + 0.4 * min(phrase, 1.0) + 0.1 * self.heading


class Judge:
    """Weighs a question's words against clauses; rarity of words from the texts it is given."""

    def __init__(self, tokenizer: Tokenizer, texts: Iterable[str]):
        self.tokenizer = tokenizer
        self._texts = list(texts)
        if len(self._texts) > IDF_SAMPLE:
            self._texts = random.Random(0).sample(self._texts, IDF_SAMPLE)
        self._idf: dict[str, float] = {}
        # One question is judged against many clauses: its words are cut once, and each
        # clause's evidence for it computed once. Keyed by the question: the app asks from
        # several threads at once.
        self._question: tuple[str, list[str], float] | None = None
        self._evidence: dict[tuple[str, str], Evidence] = {}

    def terms(self, question: str) -> list[str]:
        """The question's content words, each once."""
        return self._read(question)[1]

    def _read(self, question: str) -> tuple[str, list[str], float]:
        read = self._question
        if read is None or read[0] != question:
            core = _QUESTION_WORDS.sub(" ", question)
            terms = list(dict.fromkeys(t for t in self.tokenizer.tokens(core) if len(t) >= 2))
            read = (question, terms, sum(self.idf(t) for t in terms) or 1.0)
            self._question = read
            if len(self._evidence) > _EVIDENCE_KEPT:
                self._evidence = {}
        return read

    def core(self, question: str) -> str:
        """The question without its question words: what a clause could say verbatim."""
        return _QUESTION_WORDS.sub("", question)

    def idf(self, term: str) -> float:
        if term not in self._idf:
            frequency = sum(term in text for text in self._texts)
            self._idf[term] = math.log(1 + len(self._texts) / (1 + frequency))
        return self._idf[term]

    def evidence(self, question: str, clause: ClauseRecord) -> Evidence:
        _, terms, total = self._read(question)
        key = (question, clause.clause_id)
        found = self._evidence.get(key)
        if found is None:
            text, headings = clause.text, " ".join(clause.path[:-1])
            coverage = sum(self.idf(t) for t in terms if t in text) / total
            heading = sum(self.idf(t) for t in terms if t in headings) / total
            found = Evidence(coverage, longest_shared_run(self.core(question), text), heading)
            self._evidence[key] = found
        return found


def longest_shared_run(core: str, text: str) -> int:
    """Length of the longest run of ``core`` that ``text`` holds verbatim."""
    longest = 0
    for start in range(len(core)):
        end = start + longest + 1
        while end <= len(core) and core[start:end] in text:
            longest = end - start
            end += 1
    return longest
