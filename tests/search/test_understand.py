"""Issue 19: the search box's text is read into a semantic part and filters,
offline and deterministically. One table, one row per query: what is
embedded, and what was read as a date, a place, a kind, a negative or exact
words. The clock is fixed (1 December 2026, noon) and the library's places
are Lisbon, Porto and Portugal."""
import datetime as dt

import pytest

from mediasearch.search.place_names import Gazetteer
from mediasearch.search.understand import understand

NOW = dt.datetime(2026, 12, 1, 12)
places = Gazetteer(["Lisbon, Portugal", "Porto, Portugal", "São Paulo, Brazil"])


def day(y, m, d):
    return dt.datetime(y, m, d).timestamp()


# query -> (semantic, expected readings as {"date": (first start, last end, number of ranges),
#           "kind": [...], "not_kind": [...], "nots": [...], "place": str, "exact": [...]})
TABLE = [
    ("a cat in July 2019", "a cat", {"date": (day(2019, 7, 1), day(2019, 8, 1), 1)}),
    ("beach July 2023", "beach", {"date": (day(2023, 7, 1), day(2023, 8, 1), 1)}),
    ("beach in july 2023", "beach", {"date": (day(2023, 7, 1), day(2023, 8, 1), 1)}),
    ("dog 2019", "dog", {"date": (day(2019, 1, 1), day(2020, 1, 1), 1)}),
    ("in 2019 snow", "snow", {"date": (day(2019, 1, 1), day(2020, 1, 1), 1)}),
    ("snow from 2021", "snow", {"date": (day(2021, 1, 1), day(2022, 1, 1), 1)}),
    ("last summer at the beach", "the beach", {"date": (day(2026, 6, 1), day(2026, 9, 1), 1)}),
    ("this summer", "", {"date": (day(2026, 6, 1), day(2026, 9, 1), 1)}),
    ("last winter skiing", "skiing", {"date": (day(2025, 12, 1), day(2026, 3, 1), 1)}),
    ("summer 2019 lake", "lake", {"date": (day(2019, 6, 1), day(2019, 9, 1), 1)}),
    # "winter 2019" may be either winter: both are read (and a note says so).
    ("winter of 2019", "", {"date": (day(2018, 12, 1), day(2020, 3, 1), 2)}),
    # A month or season without a year is its most recent one.
    ("kids in March", "kids", {"date": (day(2026, 3, 1), day(2026, 4, 1), 1)}),
    ("during august hiking", "hiking", {"date": (day(2026, 8, 1), day(2026, 9, 1), 1)}),
    ("fireworks in the summer", "fireworks", {"date": (day(2026, 6, 1), day(2026, 9, 1), 1)}),
    ("yesterday", "", {"date": (day(2026, 11, 30), day(2026, 12, 1), 1)}),
    ("cake today", "cake", {"date": (day(2026, 12, 1), day(2026, 12, 2), 1)}),
    ("the day before yesterday", "", {"date": (day(2026, 11, 29), day(2026, 11, 30), 1)}),
    ("last week party", "party", {"date": (day(2026, 11, 23), day(2026, 11, 30), 1)}),
    ("this week", "", {"date": (day(2026, 11, 30), day(2026, 12, 7), 1)}),
    ("last month receipts", "receipts", {"date": (day(2026, 11, 1), day(2026, 12, 1), 1)}),
    ("this month", "", {"date": (day(2026, 12, 1), day(2027, 1, 1), 1)}),
    ("last year christmas tree", "christmas tree", {"date": (day(2025, 1, 1), day(2026, 1, 1), 1)}),
    ("this year", "", {"date": (day(2026, 1, 1), day(2027, 1, 1), 1)}),
    ("3 days ago", "", {"date": (day(2026, 11, 28), day(2026, 11, 29), 1)}),
    ("2 years ago wedding", "wedding", {"date": (day(2024, 1, 1), day(2025, 1, 1), 1)}),
    ("the 90s party", "party", {"date": (day(1990, 1, 1), day(2000, 1, 1), 1)}),
    ("1980s photos", "", {"date": (day(1980, 1, 1), day(1990, 1, 1), 1), "kind": ["image"]}),
    # A decade before a style word names the style ("1980s car", "1920s themed party").
    ("1980s car", "1980s car", {}),
    ("1920s themed party", "1920s themed party", {}),
    ("before 2020 snow", "snow", {"date": (day(1900, 1, 1), day(2020, 1, 1), 1)}),
    ("since 2022 garden", "garden", {"date": (day(2022, 1, 1), day(3000, 1, 1), 1)}),
    ("after 2022 garden", "garden", {"date": (day(2023, 1, 1), day(3000, 1, 1), 1)}),
    ("2023-07-14 concert", "concert", {"date": (day(2023, 7, 14), day(2023, 7, 15), 1)}),
    ("2023-07 concert", "concert", {"date": (day(2023, 7, 1), day(2023, 8, 1), 1)}),
    ("14 July 2023 parade", "parade", {"date": (day(2023, 7, 14), day(2023, 7, 15), 1)}),
    ("July 14th, 2023 parade", "parade", {"date": (day(2023, 7, 14), day(2023, 7, 15), 1)}),
    ("Dec 2020 lights", "lights", {"date": (day(2020, 12, 1), day(2021, 1, 1), 1)}),
    ("2023年7月的海滩", "海滩", {"date": (day(2023, 7, 1), day(2023, 8, 1), 1)}),
    ("2023年", "", {"date": (day(2023, 1, 1), day(2024, 1, 1), 1)}),
    ("2023年7月14日", "", {"date": (day(2023, 7, 14), day(2023, 7, 15), 1)}),
    ("去年的猫", "猫", {"date": (day(2025, 1, 1), day(2026, 1, 1), 1)}),
    ("昨天", "", {"date": (day(2026, 11, 30), day(2026, 12, 1), 1)}),
    ("videos of dogs", "dogs", {"kind": ["video"]}),
    ("a video of a birthday party", "a birthday party", {"kind": ["video"]}),
    ("photos of the sea", "the sea", {"kind": ["image"]}),
    ("pictures", "", {"kind": ["image"]}),
    ("recordings of birds", "birds", {"kind": ["audio"]}),
    ("voice memos", "", {"kind": ["audio"]}),
    ("猫的照片", "猫", {"kind": ["image"]}),
    ("视频", "", {"kind": ["video"]}),
    ("not screenshots", "", {"nots": ["screenshots"]}),
    ("beach without people", "beach", {"nots": ["people"]}),
    ("dog -water", "dog", {"nots": ["water"]}),
    ('sunset -"red car"', "sunset", {"nots": ["red car"]}),
    ("cats not videos", "cats", {"not_kind": ["video"]}),
    ("beach -photos", "beach", {"not_kind": ["image"]}),
    ("photos in Lisbon", "", {"kind": ["image"], "place": "Lisbon"}),
    ("tram Lisbon", "tram", {"place": "Lisbon"}),
    ("lisbon tram", "tram", {"place": "Lisbon"}),
    ("Portugal beach 2019", "beach", {"place": "Portugal", "date": (day(2019, 1, 1), day(2020, 1, 1), 1)}),
    ("sunset in porto", "sunset", {"place": "Porto"}),
    ("market in sao paulo", "market", {"place": "São Paulo"}),
    ("Paris hotel sign", "Paris hotel sign", {}),  # nothing taken in Paris: words
    ("hotel in Paris", "hotel in Paris", {"note": "Paris"}),
    ('"RE16" number plate', "number plate", {"exact": ["RE16"]}),
    ('"invoice" from ACME', "ACME", {"exact": ["invoice"]}),
    ('"happy birthday"', "", {"exact": ["happy birthday"]}),
    ("summer dress", "summer dress", {}),
    ("a march through the city", "a march through the city", {}),
    ("may flowers", "may flowers", {}),
    ("a dog on the beach", "a dog on the beach", {}),
    ("1984 book cover", "book cover", {"date": (day(1984, 1, 1), day(1985, 1, 1), 1)}),
    ("room 101", "room 101", {}),
    ("videos of Lisbon from last summer not at night", "", {}),  # checked on its own below
]


@pytest.mark.parametrize("text,semantic,expect", TABLE, ids=[t[0] for t in TABLE])
def test_the_query_is_read_as_a_person_means_it(text, semantic, expect):
    u = understand(text, places, now=NOW)
    if text.startswith("videos of Lisbon"):
        assert u.kinds == ["video"] and u.place == "Lisbon" and u.nots == ["night"]
        assert u.dates and u.semantic == ""
        return
    assert u.semantic == semantic
    if "date" in expect:
        first, last, n = expect["date"]
        assert (u.dates[0][0], u.dates[-1][1], len(u.dates)) == (first, last, n)
    else:
        assert u.dates == []
    assert u.kinds == expect.get("kind", [])
    assert u.not_kinds == expect.get("not_kind", [])
    assert u.nots == expect.get("nots", [])
    assert u.place == expect.get("place")
    assert u.exact == expect.get("exact", [])
    if "note" in expect:
        assert any(expect["note"] in n for n in u.notes)
    # Every reading is shown, with the words it came from.
    assert all(r.text and r.label for r in u.readings)


def test_a_reading_can_be_undone():
    u = understand("a cat in July 2019", places, now=NOW, plain={"date"})
    assert u.dates == [] and u.semantic == "a cat in July 2019"
    u = understand("photos in Lisbon", places, now=NOW, plain={"place", "kind"})
    assert u.place is None and u.kinds == [] and u.semantic == "photos in Lisbon"
