"""The knowledge base as the app holds it: loaded once per store generation and shared by every
session (st.cache_resource), with the citation titles each page run looks up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from indexer.answering.answer import Answerer
from indexer.config import Settings, settings
from indexer.kb import build_store, open_answerer, store_is_empty
from indexer.present.citations import citation_line, quoted_title, source_title
from indexer.storage.store import GENERATION_KEY, ClauseRecord, Store

if TYPE_CHECKING:
    from indexer.retrieval.encoder import Encoder


@st.cache_resource(show_spinner=False)
def _first_build(var_dir: str, corpus_dir: str) -> bool:
    """Build the store when it is missing (the README's run command builds it first anyway)."""
    config = settings(var_dir, corpus_dir)
    if store_is_empty(config):
        build_store(config)
        return True
    return False


@st.cache_resource(show_spinner=False)
def _encoder(model: str, backend: str) -> Encoder:
    from indexer.retrieval.encoder import (
        load_encoder,  # the model's libraries are imported only when it is needed
    )

    return load_encoder(model or None, backend or None)


# Keyed by the store's generation: a build by the app or the CLI gives a new one.
@st.cache_resource(show_spinner=False, max_entries=4, on_release=Store.close)
def _store(store_path: str, generation: str) -> Store:
    return Store(Path(store_path), create=False)


# An answerer holds a snapshot of its generation: closed when it leaves the cache, so the store's
# write-ahead log does not grow behind it.
@st.cache_resource(show_spinner=False, max_entries=2, on_release=Answerer.close)
def _answerer(var_dir: str, corpus_dir: str, model: str, backend: str, generation: str) -> Answerer:
    config = settings(var_dir, corpus_dir, model or None, backend or None)
    return open_answerer(config, encoder=_encoder(model, backend))


def store_generation(config: Settings) -> str:
    """Changes whenever a build changes the clauses, whoever ran it (app or CLI)."""
    store = Store(config.store_path)
    try:
        return store.get_meta(GENERATION_KEY) or ""
    finally:
        store.close()


@dataclass
class KnowledgeBase:
    """One generation of the store, its settings and its answerer, for one run of a page."""

    config: Settings
    store: Store
    generation: str
    _titles: dict[str, list[ClauseRecord]] = field(default_factory=dict)

    def answerer(self) -> Answerer:
        """The answerer of this generation, its search index loaded (or built) on first use."""
        with st.spinner("正在加载检索模型，首次打开约需十秒…"):
            return _answerer(
                str(self.config.var_dir),
                str(self.config.corpus_dir),
                self.config.model or "",
                self.config.encoder or "",
                self.generation,
            )

    def title_of(self, clause: ClauseRecord) -> str:
        """The title the clause is cited under (the plan a notice issues, else the document)."""
        if clause.doc_id not in self._titles:
            self._titles[clause.doc_id] = self.store.clauses(clause.doc_id)
        return source_title(clause, self._titles[clause.doc_id])

    def citation(self, clause: ClauseRecord) -> str:
        """《title》（文号）二、（一）1. for the clause."""
        return citation_line(self.title_of(clause), clause.doc_number, clause.path)

    def heading(self, clause: ClauseRecord) -> str:
        """《title》（文号） for a group of clauses of one document."""
        number = f"（{clause.doc_number}）" if clause.doc_number else ""
        return quoted_title(self.title_of(clause)) + number


def knowledge_base() -> KnowledgeBase:
    """The knowledge base as it is now, built first if there is none yet."""
    config = settings()
    with st.spinner("首次启动：正在建立知识库，请稍候…"):
        _first_build(str(config.var_dir), str(config.corpus_dir))
    generation = store_generation(config)
    return KnowledgeBase(config, _store(str(config.store_path), generation), generation)


def refresh_knowledge_base() -> None:
    """After an upload or a removal: drop the old store and index, open (and index) the new."""
    _store.clear()
    _answerer.clear()
    knowledge_base().answerer()
