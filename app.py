"""公文知识库 — the Streamlit app. Run with ``streamlit run app.py``.

This file only wires the pages (webapp/) into one app. They are thin shells over the core:
answers come from ``Answerer.ask`` (the function behind ``python -m indexer ask``), uploads from
``indexer.storage.uploads``, everything else from ``Store`` reads. Every answer shows the clause
it stands on; nothing is generated.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from indexer.ingest.units import RegistryError
from indexer.storage.build import BuildBusy
from indexer.storage.store import StoreError
from webapp import ask, library, lineage, matrix, upload
from webapp.state import knowledge_base
from webapp.widgets import PAGES, STYLE

# url path → the page, its title and icon, in the order of the sidebar.
PAGE_TABLE: dict[str, tuple[Callable[[], None], str, str]] = {
    "ask": (ask.page, "问答检索", ":material/search:"),
    "matrix": (matrix.page, "责任清单", ":material/table_view:"),
    "documents": (library.page, "文件库", ":material/folder_open:"),
    "lineage": (lineage.page, "政策脉络", ":material/account_tree:"),
    "add": (upload.page, "添加文件", ":material/upload_file:"),
}


def sidebar_summary() -> None:
    stats = knowledge_base().store.stats()
    st.sidebar.caption(
        f"知识库：{stats['documents_with_text']} 份文件正文，{stats['clauses']} 条条款，"
        f"{stats['tasks']} 项任务"
    )


def home_page() -> None:
    """The address without a page: go to 问答检索, keeping the query (/?q=… → /ask?q=…)."""
    st.switch_page(PAGES["ask"], query_params=st.query_params.to_dict())


def main() -> None:
    st.set_page_config(page_title="公文知识库", page_icon="📑", layout="wide")
    st.set_option("client.toolbarMode", "viewer")  # no developer menu for office staff
    st.html(STYLE)
    for path, (function, title, icon) in PAGE_TABLE.items():
        PAGES[path] = st.Page(function, title=title, icon=icon, url_path=path)
    # The default page is served at "/" only, never at its own path: a hidden home page takes
    # "/" so that 问答检索 keeps its address /ask.
    home = st.Page(
        home_page, title="公文知识库", url_path="home", default=True, visibility="hidden"
    )
    page = st.navigation([home, *PAGES.values()])
    try:
        page.run()
        sidebar_summary()
    except (StoreError, RegistryError, BuildBusy, ValueError) as error:
        # A broken store, registry or settings file: say which, in one line, not a traceback.
        st.error(str(error), icon=":material/error:")


if __name__ == "__main__":
    main()
