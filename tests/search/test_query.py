import pytest

from mediasearch.search.query import build_terms, parse_term
from mediasearch.store.errors import QueryError


def test_weights_and_negatives():
    terms = build_terms(["beach^2", "sunset"], nots=["people^0.5"])
    assert [(t.text, t.weight) for t in terms] == [("beach", 2.0), ("sunset", 1.0), ("people", -0.5)]


def test_caret_without_number_is_text():
    assert parse_term("a^b").text == "a^b"
    assert parse_term("meeting at 10:30").text == "meeting at 10:30"


def test_existing_file_is_a_query_by_example(tmp_path):
    f = tmp_path / "x.png"
    f.write_bytes(b"x")
    assert parse_term(str(f)).path == f.resolve()
    with pytest.raises(QueryError, match="not found"):
        build_terms([], files=[str(tmp_path / "missing.png")])


def test_needs_something_positive():
    with pytest.raises(QueryError):
        build_terms([], nots=["people"])
    with pytest.raises(QueryError):
        build_terms(["   "])


def test_minus_syntax_in_one_box():
    from mediasearch.search.query import split_text_query

    assert split_text_query('beach sunset -people -"red car"') == (["beach sunset"], ["people", "red car"])
    assert split_text_query("t-shirt on a chair") == (["t-shirt on a chair"], [])
    assert split_text_query("-dogs") == ([], ["dogs"])


def test_a_tilde_that_names_no_user_is_words():
    # "~~~~~~" (a nonsense query written outside the project) crashed the
    # search with RuntimeError: Path.expanduser looked for a user "~~~~~".
    assert parse_term("~~~~~~").text == "~~~~~~"
    assert parse_term("~nosuchuser/x.jpg", as_file=False).text == "~nosuchuser/x.jpg"
