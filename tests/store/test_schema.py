"""Issue 29: one data-access style. Every table the migrations create is a
model the code reads and writes through (captions, claims and the change
log went through raw SQL with hand decoding), the models say what the
migrated database holds, and a word search costs a bounded number of SQL
statements, whatever the number of files it matches (it read each
matching file's vectors in a statement of its own: 612 at 400 files)."""
import pytest
from sqlalchemy import event, inspect

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.store.catalog import Catalog
from mediasearch.store.schema import Base
from mediasearch.store.settings import Settings

from ..media_factory import pattern

# The word index, not rows the code reads or writes: SQLite's FTS5 table and
# its shadow tables, PostgreSQL's tsvector column kept by triggers (m005).
FULL_TEXT = ("segment_fts",)
FULL_TEXT_COLUMNS = {"segment": {"words"}}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_models_are_the_migrated_schema(catalog_target):
    cat = Catalog(catalog_target)
    try:
        insp = inspect(cat.engine)
        tables = {t for t in insp.get_table_names() if not t.startswith(FULL_TEXT) and t != "_migrations"}
        assert tables == set(Base.metadata.tables), "a table without a model, or a model without a table"
        for name, model in Base.metadata.tables.items():
            columns = {c["name"] for c in insp.get_columns(name)} - FULL_TEXT_COLUMNS.get(name, set())
            assert columns == {c.name for c in model.columns}, name
            text = FULL_TEXT_COLUMNS.get(name, set())
            found = insp.get_indexes(name)
            in_db = {tuple(i["column_names"]) for i in found
                     if not text & set(i["column_names"]) and None not in i["column_names"]}
            on_columns = [i for i in model.indexes if i.columns]
            declared = ({tuple(c.name for c in i.columns) for i in on_columns}
                        | {tuple(c.name for c in u.columns) for u in model.constraints
                           if u.__class__.__name__ == "UniqueConstraint"}
                        | {(c.name,) for c in model.columns if c.unique})
            assert in_db <= declared and {tuple(c.name for c in i.columns) for i in on_columns} <= in_db, name
            # Indexes on an expression (m015), by name: SQLite's reflection skips them.
            with cat.engine.connect() as c:
                names = ({r[0] for r in c.exec_driver_sql(
                    f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{name}'")}
                         if cat.engine.dialect.name == "sqlite" else {i["name"] for i in found})
            assert {i.name for i in model.indexes if not i.columns} <= names, name
            assert {i["name"] for i in found if None in i["column_names"]} <= {i.name for i in model.indexes}, name
    finally:
        cat.close()


@pytest.mark.parametrize("files", [20, 80])
def test_a_word_search_costs_the_same_statements_for_more_files(tmp_path, files):
    root = tmp_path / "pics"
    root.mkdir()
    for i in range(files):
        pattern(root / f"beach {i:03d}.png", i)
    lib = Library(Settings(home=tmp_path / "data", model="fake", network_timeout=0))
    Indexer(lib).run([root])
    service = SearchService(lib)
    service.search(SearchRequest(texts=["beach"], k=10))  # warm: the cut-off's calibration, the index
    statements = []
    event.listen(lib.catalog.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        service.search(SearchRequest(texts=["beach"], k=files))
    finally:
        lib.close()
    assert len(statements) <= 20, statements  # 16 here (8 reads, each with its BEGIN) at 20 files and 80
