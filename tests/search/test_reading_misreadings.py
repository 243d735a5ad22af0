"""Issue 27: each misreading found on queries written outside the project,
read right. The clock is Friday 4 December 2026, noon; the library's places
come from real GPS positions through the indexer's own gazetteer (so Berlin
is the district "Mitte" as GeoNames names it)."""
import datetime as dt

import pytest

from mediasearch.indexer.places import place_name
from mediasearch.search.dates import from_range
from mediasearch.search.place_names import Gazetteer
from mediasearch.search.understand import understand

NOW = dt.datetime(2026, 12, 4, 12)
POSITIONS = {"Tokyo": (35.6762, 139.6503), "Lisbon": (38.7223, -9.1393), "Porto": (41.1579, -8.6291),
             "Berlin": (52.52, 13.405), "New York": (40.7128, -74.006), "Munich": (48.1351, 11.582),
             "Beijing": (39.9042, 116.4074), "Chicago": (41.8781, -87.6298), "Paris TX": (33.6609, -95.5555),
             "Paris": (48.8566, 2.3522)}
GAZ = Gazetteer([place_name(*p) for p in POSITIONS.values()])


def read(q, **kw):
    return understand(q, GAZ, now=NOW, **kw)


def days(ranges):
    return [tuple(None if d is None else d.isoformat() for d in from_range(a, b)) for a, b in ranges]


@pytest.mark.parametrize("q,want", [
    ("between 2018 and 2020", [("2018-01-01", "2020-12-31")]),
    ("from 2019 to 2021", [("2019-01-01", "2021-12-31")]),
    ("July to September 2026", [("2026-07-01", "2026-09-30")]),
    ("from March to May 2021", [("2021-03-01", "2021-05-31")]),
    ("last 30 days", [("2026-11-05", "2026-12-04")]),
    ("before 2010", [(None, "2009-12-31")]),
    ("after June 2022", [("2022-07-01", None)]),
    ("since 2020", [("2020-01-01", None)]),
    ("birthday in 2019 or 2021", [("2019-01-01", "2019-12-31"), ("2021-01-01", "2021-12-31")]),
    ("24/12/2025", [("2025-12-24", "2025-12-24")]),
    ("4th of July fireworks", [("2026-07-04", "2026-07-04")]),
    ("last Christmas", [("2025-12-24", "2025-12-26")]),
    ("the weekend", [("2026-11-28", "2026-11-29")]),
    ("last Friday", [("2026-11-27", "2026-11-27")]),
    ("three days ago", [("2026-12-01", "2026-12-01")]),
    ("三天前", [("2026-12-01", "2026-12-01")]),
    ("最近三十天", [("2026-11-05", "2026-12-04")]),
    ("2022年6月之后", [("2022-07-01", None)]),
    ("2024年中秋节", [("2024-09-17", "2024-09-17")]),
    ("春节 2020", [("2020-01-24", "2020-01-30")]),
    ("hace dos semanas", [("2026-11-16", "2026-11-22")]),
    ("vor drei Tagen", [("2026-12-01", "2026-12-01")]),
    ("4.7.2019", [("2019-07-04", "2019-07-04")]),
    ("Semana Santa 2024", [("2024-03-24", "2024-03-31")]),
])
def test_dates_ranges_and_holidays_are_read_whole(q, want):
    u = read(q)
    assert sorted(days(u.dates), key=str) == sorted(want, key=str)


def test_an_ambiguous_numeric_date_is_read_both_ways_and_says_so():
    u = read("04/07/2019")
    assert sorted(days(u.dates)) == [("2019-04-07", "2019-04-07"), ("2019-07-04", "2019-07-04")]
    assert any("could be day/month or month/day" in n for n in u.notes)
    # Not ambiguous: a day above 12, and a French query (day first).
    assert days(read("13/07/2019").dates) == [("2019-07-13", "2019-07-13")]
    assert days(read("photos du 04/07/2019").dates) == [("2019-07-04", "2019-07-04")]


def test_nothing_is_left_over_from_a_date():
    assert read("24/12/2025").semantic == ""
    assert read("yesterday's photos").semantic == "" and read("yesterday's photos").kinds == ["image"]
    assert read("between 2018 and 2020").semantic == ""


def test_a_future_year_alone_is_a_number_and_look_alikes_stay_words():
    for q in ("2048 game high score", "room 1204", "1920s themed party", "summer dress", "may flowers",
              "christmas tree", "7/11 store at night"):
        u = read(q)
        assert u.dates == [] and u.semantic == q, q
    assert days(read("in 2048").dates) == [("2048-01-01", "2048-12-31")]


def test_negated_dates_places_and_kinds():
    u = read("garden photos not in 2020")
    assert days(u.not_dates) == [("2020-01-01", "2020-12-31")] and u.dates == [] and u.semantic == "garden"
    u = read("videos not from Tokyo")
    assert u.not_places == ["Tokyo"] and u.places == [] and u.kinds == ["video"]
    u = read("不在上海拍的视频")
    assert u.kinds == ["video"] and u.places == []  # Shanghai is not in this library: no filter at all


def test_places_by_any_name_or_list_and_district():
    assert read("photos from Lisbon or Porto").places == ["Lisbon", "Porto"]
    assert read("in Berlin").places == ["Berlin"]  # the photos were taken in "Mitte"
    assert read("Chicago at night").places == ["Chicago"]
    for q, place in [("Lisboa trams", "Lisbon"), ("NYC skyline", "New York City"), ("road trip USA", "United States"),
                     ("Deutschland", "Germany"), ("東京 at night", "Tokyo"), ("东京的夜景", "Tokyo"),
                     ("北京的胡同", "Beijing"), ("München beer garden", "Munich")]:
        assert read(q).places == [place], q
    u = read("in Berlin")
    assert [r.label for r in u.readings] == ["taken in Berlin, Germany"]


def test_names_and_brands_that_look_like_places():
    assert read("Paris Hilton").places == []
    assert read("Jordan at the beach").places == []
    assert read("北京烤鸭").places == [] and read("巴黎世家的包").places == []
    assert read("Paris, Texas").places == ["Paris, Texas"]
    assert read("sunset in Paris").places == ["Paris"]


def test_a_song_is_content_not_a_kind_and_video_games_are_not_videos():
    assert read("a song").kinds == [] and read("a song").semantic == "a song"
    assert read("video games").kinds == []
    assert read("group photo").kinds == []


def test_an_undo_never_inverts_a_reading():
    u = read("dog not videos", plain={"not"})
    assert u.kinds == [] and u.not_kinds == [] and u.semantic == "dog not videos"
    u = read("videos not from Tokyo", plain={"place"})
    assert u.places == [] and u.not_places == [] and u.kinds == ["video"]
    assert "Tokyo" in u.semantic and u.nots == []


def test_negative_words_are_kept_for_the_answer():
    assert read("beach -water").nots == ["water"]
    assert read("street no cars").nots == ["cars"]
    assert read("no parking sign").nots == [] and read("no parking sign").semantic == "no parking sign"
    assert read("vidéos de Paris sans la tour Eiffel").nots == ["tour Eiffel"]
    assert read("不要狗").nots == ["狗"]


def test_chinese_place_names_are_read_from_the_dictionary_once_per_machine(tmp_path, monkeypatch):
    """Issue 33.3: the pass over CC-CEDICT cost 0.7 s of the first search of
    every process; it is kept in the user cache, and a damaged copy is read
    again from the dictionary."""
    import gzip

    from mediasearch.search import place_names, user_cache

    monkeypatch.setattr(user_cache, "cache_dir", lambda: tmp_path)
    place_names._chinese_names.cache_clear()
    first = place_names._chinese_names()
    assert "里斯本" in first["lisbon"]
    kept = list(tmp_path.glob("place-names-zh-*.json"))
    assert len(kept) == 1

    def no_dictionary(*a, **k):
        raise AssertionError("the dictionary was read again")

    monkeypatch.setattr(gzip, "open", no_dictionary)
    place_names._chinese_names.cache_clear()
    assert place_names._chinese_names() == first  # from the cache alone
    monkeypatch.undo()
    monkeypatch.setattr(user_cache, "cache_dir", lambda: tmp_path)
    kept[0].write_text("{not json")
    place_names._chinese_names.cache_clear()
    assert place_names._chinese_names() == first
    place_names._chinese_names.cache_clear()
