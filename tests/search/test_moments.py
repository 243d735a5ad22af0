"""Issue 28.1: where a video opens. Words said or read score a text query on
the text tower's own scale, above any picture: a sentence (or the "someone
speaking" event) that has nothing to do with the query took the moment
from the shots. A real video (two photographs, a sentence said over the
second), the bundled model, the real sound-event detector and Whisper."""
import numpy as np
import pytest

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.store.settings import Settings
from mediasearch.web.envelope import answer_dict

from ..media_factory import speech, video

pytestmark = pytest.mark.slow  # the bundled model, Whisper and the event detector, real


def test_a_video_opens_at_a_shot_not_at_words_that_do_not_match(tmp_path):
    from skimage import data

    root = tmp_path / "videos"
    root.mkdir()
    said = speech("Remember to buy fresh bread and olive oil tomorrow morning.")
    audio = np.zeros(16000 * 16, np.float32)
    audio[16000 * 10:16000 * 10 + len(said)] = said
    video(root / "clip.mp4", [(8.0, np.asarray(data.chelsea())), (8.0, np.asarray(data.coffee()))], fps=5,
          size=(320, 240), codec="libx264", bit_rate=2_000_000, audio=audio)
    lib = Library(Settings(home=tmp_path / "data", model="bundled", network_timeout=0))
    Indexer(lib).run([root])
    try:
        service = SearchService(lib)
        hit = answer_dict(service.search(SearchRequest(texts=["a man riding a horse"], k=3, all=True)))["results"][0]
        assert hit["source"] == "frame" and hit["start"] in (0.0, 8.0), hit
        assert hit["reason"].startswith("video frame")
        # The words said are there, still found by their own words.
        said = answer_dict(service.search(SearchRequest(texts=["tomorrow morning"], k=3)))["results"][0]
        assert any(w["signal"] == "words" for w in said["why"])
    finally:
        lib.close()
