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


def test_a_read_must_be_plausible_before_it_becomes_words():
    """Issue 26.5c: OCR invented text on pictures without any (泰 on an
    evergreen tree, 国 on a ticket, "POU"): short lines must be read surely,
    every line must hold a letter or a digit. (Confidences as the reader gave
    them on Flickr photos.)"""
    from mediasearch.indexer.ocr import plausible

    for invented in [("泰", 0.71), ("国", 0.83), ("POU", 0.62), ("S", 0.609), ("SOU", 0.867), ("：", 0.569),
                     ("Juarvs", 0.617)]:
        assert not plausible(*invented), invented
    for real in [("PAT", 0.966), ("5", 0.999), ("SALE", 0.994), ("RITEAID", 0.988), ("DV-TS-63", 0.992),
                 ("茶馆", 0.95), ("rumerahcve or atyour loqal police station", 0.774)]:
        assert plausible(*real), real


def test_glued_receipt_words_are_parted_and_the_glued_form_still_matches():
    """Issue 28.3: "Tablebookedat CasaAzul" and "TOTAL23,45EUR" kept "total"
    and "booked" out of the word index ("supermarket receipt total" missed
    the receipt). Short words may sit between dictionary words; a word run
    into a number is parted from it; codes stay whole."""
    assert respaced("Tablebookedat CasaAzul") == "Table booked at CasaAzul"
    assert respaced("TOTAL23,45EUR") == "TOTAL 23,45 EUR"
    assert respaced("DIDYOU SEEORHEARANYTHING?") == "DIDYOU SEE OR HEAR ANYTHING?"
    for code in ("RE16TGK", "TS34208", "5CJT309", "AB12CD34EF56XY", "DV-TS-63"):
        assert respaced(code) == code
