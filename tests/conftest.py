"""Shared fixtures: a store built once per session from the real corpus, and small helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.config import REPO_ROOT
from indexer.ingest.units import UnitRegistry
from indexer.storage.build import build
from indexer.storage.store import Store

CORPUS = REPO_ROOT / "corpus"
SEED = CORPUS / "xianning-jyj-2021-14.txt"
SEED_NUMBER = "咸市教〔2021〕14号"
# How people type the seed's number: every bracket, 第, spaces, full-width digits.
SEED_NUMBER_AS_TYPED = (
    "咸市教〔2021〕14号", "咸市教[2021]14号", "咸市教【2021】14号", "咸市教(2021)14号", "咸市教（2021）14号",
    "咸市教［2021］14号", "咸市教〔2021〕第14号", "咸市教 〔 2021 〕 14 号", "咸市教［２０２１］１４号",
    "咸市教{2021}14号",
)  # fmt: skip


@pytest.fixture(scope="session")
def registry() -> UnitRegistry:
    return UnitRegistry.load(CORPUS / "units.csv")


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory, registry) -> Store:
    """The whole corpus (seed, catalogue, 学校美育 collection), built once."""
    store = Store(tmp_path_factory.mktemp("corpus") / "policy.sqlite3")
    report = build(store, [CORPUS], registry, CORPUS)
    assert report.errors == []
    return store


@pytest.fixture
def seed_dir(tmp_path) -> Path:
    """A corpus folder of its own holding the seed, its catalogue and the registry."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in (
        "xianning-jyj-2021-14.txt",
        "related-documents.catalogue.json",
        "units.csv",
        "kb.toml",
    ):
        shutil.copy(CORPUS / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def encoder():
    from indexer.retrieval.encoder import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def corpus_answerer(tmp_path_factory, corpus_store, encoder):
    """The answer function over the whole corpus with the real offline model (encodes ~3.5k
    passages), with the corpus's own settings (home body 咸宁市教育局)."""
    from indexer.answering.answer import Answerer
    from indexer.config import settings
    from indexer.retrieval.generations import open_index

    index = open_index(corpus_store, tmp_path_factory.mktemp("index") / "index", encoder)
    corpus = settings(corpus_dir=CORPUS)
    return Answerer(corpus_store, index, corpus.limits, corpus.home)
