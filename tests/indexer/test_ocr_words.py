"""How text read in pictures is cleaned and matched, without the OCR models:
the spaces a recogniser drops, and codes found by a part of them."""
from mediasearch.indexer.ocr import respaced
from mediasearch.search.explain import matched


def test_words_run_together_are_split_only_into_dictionary_words():
    assert respaced("Meetingnotesquarterly2024") == "Meeting notes quarterly 2024"
    assert respaced("Quarterlyapproved7731") == "Quarterly approved 7731"
    # Codes, names and short runs stay as read.
    assert respaced("AB12CD34EF56XY") == "AB12CD34EF56XY"
    assert respaced("RE16TGK") == "RE16TGK"
    assert respaced("Schwarzwaldhochstrasse") == "Schwarzwaldhochstrasse"
    assert respaced("two words") == "two words"


def test_the_reason_names_the_word_a_code_or_part_matched():
    assert matched({"re16"}, "RE16TGK parked") == {"re16tgk"}
    assert matched({"16tg"}, "RE16TGK parked") == set()  # a part, only inside read text
    assert matched({"16tg"}, "RE16TGK parked", inside=True) == {"re16tgk"}
    assert matched({"invoice"}, "ACMEINVOICE2291", inside=True) == {"acmeinvoice2291"}
    assert matched({"cat"}, "education", inside=True) == set()  # too short to be looked for inside words
