"""Words and vectors together: full-text matches (FTS5) fused with the vector
ranking by reciprocal rank fusion."""
import os

import pytest

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.engine import Result, SearchEngine, fuse
from mediasearch.search.query import Query, build_terms

from ..media_factory import pattern, solid


@pytest.fixture
def lib(settings, tmp_path):
    root = tmp_path / "pics"
    (root / "Paris 2019").mkdir(parents=True)
    for i in range(40):
        pattern(root / f"DSC{i:04d}.png", i)
    pattern(root / "IMG_2041.png", 999)
    pattern(root / "Paris 2019" / "P1.png", 1001)
    solid(root / "red.png", (230, 20, 20))
    lib = Library(settings)
    Indexer(lib).run([root])
    yield lib, root
    lib.close()


def names(results):
    return [os.path.basename(r.path) for r in results]


def test_a_file_name_is_found_even_when_the_embedding_misses(lib):
    library, root = lib
    engine = SearchEngine(library)
    plain = names(engine.search(Query(build_terms(["IMG_2041"]), k=5, lexical=False)))
    assert "IMG_2041.png" not in plain[:1]  # the fake embedding knows nothing of names
    fused = engine.search(Query(build_terms(["IMG_2041"]), k=5))
    assert names(fused)[0] == "IMG_2041.png" and fused[0].lexical


def test_folder_names_match(lib):
    library, _ = lib
    res = SearchEngine(library).search(Query(build_terms(["paris"]), k=3))
    assert names(res)[0] == "P1.png"


def test_renames_update_the_text_index(lib):
    library, root = lib
    os.rename(root / "IMG_2041.png", root / "birthday_party.png")
    Indexer(library).run([root])
    engine = SearchEngine(library)
    assert names(engine.search(Query(build_terms(["birthday party"]), k=1))) == ["birthday_party.png"]
    assert "IMG_2041.png" not in names(engine.search(Query(build_terms(["IMG_2041"]), k=3)))


def test_filters_apply_to_words_too(lib):
    library, root = lib
    res = SearchEngine(library).search(Query(build_terms(["IMG_2041"]), k=3, under=[str(root / "Paris 2019")]))
    assert "IMG_2041.png" not in names(res)


def test_fusion_changes_the_order_in_a_constructed_case():
    a = Result(1, "/a.jpg", "image", 0.30)
    b = Result(2, "/b.jpg", "image", 0.29)
    c = Result(3, "/c.jpg", "image", 0.28)
    b_lex = Result(2, "/b.jpg", "image", 0.29, lexical=True)
    out = fuse([a, b, c], [b_lex], 10)
    assert [r.media_id for r in out] == [2, 1, 3]  # b: 2nd by vector, 1st by words
    assert out[0].lexical
    assert [r.media_id for r in fuse([a, b, c], [], 10)] == [1, 2, 3]


def test_words_in_a_transcript_are_fused(settings, tmp_path):
    import shutil
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    from ..media_factory import audio_file, speech
    root = tmp_path / "memos"
    root.mkdir()
    audio_file(root / "memo1.wav", speech("Call the plumber about the kitchen sink."))
    for i in range(5):
        pattern(root / f"p{i}.png", i)
    lib = Library(settings)
    Indexer(lib).run([root])
    res = SearchEngine(lib).search(Query(build_terms(["plumber"]), k=3))
    lib.close()
    assert names(res)[0] == "memo1.wav" and res[0].lexical and "plumber" in res[0].text.lower()


def test_shown_scores_are_the_order_shown(lib):
    """Issue 14.6: fused lists showed 0.299, 0.416, 0.389."""
    library, _ = lib
    engine = SearchEngine(library)
    for q in ("IMG_2041", "Paris red", "DSC0003", "red"):
        results = engine.search(Query(build_terms([q]), k=10))
        scores = [r.score for r in results]
        assert scores == sorted(scores, reverse=True), (q, scores)
        for r in results:  # the parts stay readable
            assert "similarity" in r.why


def test_a_hit_reports_the_segment_that_scored():
    """Issue 14.3: a video hit showed a frame's score with a transcript's moment
    and text (styled as a place)."""
    frame = Result(1, "/v/dog training.mkv", "video", 0.4, 30.0, 32.0, None, [], segment_id=10, source="frame")
    said = Result(1, "/v/dog training.mkv", "video", 0.3, 0.0, 11.0, "This is how you teach a puppy", [],
                  lexical=True, segment_id=11, source="transcript")
    other = Result(2, "/v/other.mkv", "video", 0.35, 1.0, 2.0, None, [], segment_id=20, source="frame")
    top = fuse([frame, other], [said], 10)[0]
    assert (top.media_id, top.start, top.end, top.text, top.source, top.segment_id) == (1, 30.0, 32.0, None, "frame", 10)
    assert top.words == {"text": "This is how you teach a puppy", "start": 0.0, "end": 11.0, "source": "transcript"}
    assert top.score == 1.0 and top.why == {"similarity": 0.4, "picture_rank": 1, "words_rank": 1}


def test_a_video_found_by_what_was_said_opens_at_the_sentence():
    """Issue 28.1: a video hit found by what was said opened at the frame
    moment (00:04), not at the sentence (00:00). When the words rank it higher
    than the picture does, the hit opens where it was said; the words stay."""
    frame = Result(1, "/v/party.mp4", "video", 0.31, 4.0, 6.0, None, [], segment_id=10, source="frame")
    others = [Result(n, f"/v/o{n}.mp4", "video", 0.5 - n / 100, 1.0, 2.0, None, [], segment_id=20 + n, source="frame")
              for n in range(2, 6)]
    said = Result(1, "/v/party.mp4", "video", 0.3, 0.0, 11.0, "Happy birthday to you", [], lexical=True,
                  segment_id=11, source="transcript", spans='[[0.0, 2.5, "Happy birthday to you"]]')
    top = fuse(others + [frame], [said], 10)[0]
    assert (top.media_id, top.start, top.end, top.source, top.segment_id) == (1, 0.0, 11.0, "transcript", 11)
    assert top.text == "Happy birthday to you" and top.spans == said.spans
    assert top.words["source"] == "transcript"
