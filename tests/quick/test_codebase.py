"""The code keeps the shape the README promises: one module per step in a package per stage, SQL
only in the store, small modules, ruff clean, and a layout section that is the tree."""

import re
import subprocess
import sys

from indexer.config import REPO_ROOT

PRODUCT = [REPO_ROOT / "indexer", REPO_ROOT / "webapp"]
MAX_LINES = 500
_SQL = re.compile(r"\.execute(many|script)?\(|\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b")


def _modules():
    for folder in PRODUCT:
        yield from sorted(folder.rglob("*.py"))
    yield REPO_ROOT / "app.py"


def test_sql_lives_in_the_store():
    storage = REPO_ROOT / "indexer" / "storage"
    outside = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in _modules()
        if not path.is_relative_to(storage)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _SQL.search(line)
    ]
    assert outside == []


def test_no_module_is_large():
    large = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert large == {}


def test_ruff_is_clean():
    run = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout


def test_the_readme_layout_is_the_tree():
    """Every module of the package and the app is named in the README's layout section, and
    every module named there exists."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1]
    package = layout[layout.index("\nindexer/") : layout.index("\neval/")]  # indexer/ … app.py
    named = set(re.findall(r"\b([a-z_0-9]+\.py)\b", package))
    existing = {path.name for path in _modules() if path.name != "__init__.py"}
    assert existing - named == set(), "modules missing from the README's layout"
    assert named - existing - {"__init__.py"} == set(), "the README names modules that are gone"
