"""Captions and reranking: the LLaVA code path on a tiny randomly initialised
model built here from a small config (no download), and reranking on
constructed cases where the order must change."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediasearch.indexer.captioners import Captioner, LlavaCaptioner, resolve_captioner
from mediasearch.indexer.captioning import caption_missing
from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.engine import SearchEngine
from mediasearch.search.query import Query, build_terms
from mediasearch.search.rerank import rerank
from mediasearch.store.errors import ConfigError, ModelUnavailableError

from ..media_factory import solid, video


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    """A tiny LlavaForConditionalGeneration + processor saved to a folder, as a
    person's local copy of a real model would be."""
    pytest.importorskip("transformers", reason="LLaVA runs on the llava extra (PyTorch, transformers)")
    import torch
    from transformers import (
        AutoTokenizer,
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    from mediasearch.indexer.embedders.bundled import _minilm_path
    tok = AutoTokenizer.from_pretrained(str(_minilm_path()), local_files_only=True)
    tok.add_special_tokens({"additional_special_tokens": ["<image>"]})
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                              image_size=32, patch_size=8)
    text = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                       num_key_value_heads=2, vocab_size=len(tok), max_position_embeddings=256)
    cfg = LlavaConfig(vision_config=vision, text_config=text,
                      image_token_index=tok.convert_tokens_to_ids("<image>"), vision_feature_layer=-1)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-llava")
    LlavaForConditionalGeneration(cfg).save_pretrained(folder)
    LlavaProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                                      crop_size={"height": 32, "width": 32}),
                   tokenizer=tok, patch_size=8, vision_feature_select_strategy="default",
                   num_additional_image_tokens=1).save_pretrained(folder)
    return folder


class ColourCaptioner(Captioner):
    """A deterministic captioner for reranking tests: names what it sees."""
    name = "test-colours"

    def __init__(self, words: dict[str, str]):
        super().__init__()
        self.words = words
        self.calls = 0

    def _load(self):
        pass

    def _caption(self, images):
        self.calls += len(images)
        out = []
        for im in images:
            r, g, b = np.asarray(im.resize((1, 1)))[0, 0]
            out.append(self.words["red" if r > max(g, b) else "green" if g > b else "blue"])
        return out


@pytest.fixture
def indexed(settings, tmp_path):
    root = tmp_path / "pics"
    root.mkdir()
    solid(root / "a.png", (230, 30, 30))
    solid(root / "b.png", (200, 60, 40))
    solid(root / "c.png", (20, 200, 30))
    video(root / "v.mp4", [(2, (20, 30, 220)), (2, (10, 10, 10))])
    lib = Library(settings)
    Indexer(lib).run([root])
    yield lib, root
    lib.close()


@pytest.mark.slow  # transformers and a tiny LLaVA built (8 s): not for the loop
@pytest.mark.torch
def test_llava_captions_land_in_the_catalog_once(indexed, tiny_llava):
    lib, root = indexed
    cap = LlavaCaptioner(str(tiny_llava), max_new_tokens=4)
    seen_prompts = []
    cap.ensure_loaded()
    real_generate = cap.model.generate

    def recording_generate(**kw):
        seen_prompts.extend(cap.processor.batch_decode(kw["input_ids"], skip_special_tokens=False))
        return real_generate(**kw)

    cap.model.generate = recording_generate
    n = caption_missing(lib.catalog, lib.settings.home, cap, lib.settings.max_image_pixels)
    pictures = len(lib.catalog.uncaptioned("someone-else"))
    assert n == pictures == 5  # three images and two video keyframes
    assert all("describe this photo" in p.lower() and "<image>" in p for p in seen_prompts)
    assert caption_missing(lib.catalog, lib.settings.home, cap, lib.settings.max_image_pixels) == 0
    sids = [int(i) for i in lib.catalog.segment_ids()]
    assert len(lib.catalog.captions(sids, cap.name)) == 5


def test_missing_captioner_weights_are_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailableError, match="not available locally"):
        LlavaCaptioner(str(tmp_path / "no-such-model")).caption([Image.new("RGB", (8, 8))])
    with pytest.raises(ConfigError):
        resolve_captioner("nonsense")


def test_missing_captioner_weights_are_said_before_heavy_imports(tmp_path):
    """Issue 26.10: the check took 55 s under load because transformers was
    imported first. Cheap things first: no weights, no transformers."""
    import subprocess
    import sys

    code = ("import sys\nfrom PIL import Image\n"
            "from mediasearch.indexer.captioners import resolve_captioner\n"
            "for spec in ('llava:" + str(tmp_path / "none") + "', 'image-to-text:" + str(tmp_path / "none") + "'):\n"
            "    try:\n        resolve_captioner(spec).caption([Image.new('RGB', (8, 8))])\n"
            "    except Exception as e:\n        print(type(e).__name__, 'transformers' in sys.modules, 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "HF_HOME": str(tmp_path / "hf")})
    assert out.stdout.split("\n")[:2] == ["ModelUnavailableError False False"] * 2, out.stdout + out.stderr


def test_rerank_reorders_by_caption(indexed):
    lib, root = indexed
    engine = SearchEngine(lib)
    results = engine.search(Query(build_terms(["red dog"]), k=4, lexical=False))
    names = [Path(r.path).name for r in results]
    assert names[:2] in (["a.png", "b.png"], ["b.png", "a.png"])  # red pictures first by vector
    assert "c.png" in names[2:]
    cap = ColourCaptioner({"red": "a plate of food", "green": "a red dog sleeping", "blue": "the sea"})
    reranked, stats = rerank(engine, results, "red dog", cap, top_n=4, weight=0.7)
    assert Path(reranked[0].path).name == "c.png" and reranked[0].caption == "a red dog sleeping"
    assert stats.captioned_now == 4 and stats.candidates == 4
    again, stats2 = rerank(engine, engine.search(Query(build_terms(["red dog"]), k=4, lexical=False)),
                           "red dog", cap, top_n=4, weight=0.7)
    assert stats2.captioned_now == 0 and cap.calls == 4  # cached in the catalog


def test_rerank_weight_zero_keeps_vector_order(indexed):
    lib, _ = indexed
    engine = SearchEngine(lib)
    results = engine.search(Query(build_terms(["red"]), k=3, lexical=False))
    before = [r.media_id for r in results]
    cap = ColourCaptioner({"red": "x", "green": "red red red", "blue": "y"})
    after, _ = rerank(engine, results, "red", cap, top_n=3, weight=0.0)
    assert [r.media_id for r in after] == before


def test_captions_are_searchable_words(indexed):
    lib, root = indexed
    cap = ColourCaptioner({"red": "a kite festival", "green": "a tractor in a field", "blue": "waves"})
    caption_missing(lib.catalog, lib.settings.home, cap, lib.settings.max_image_pixels)
    res = SearchEngine(lib).search(Query(build_terms(["tractor"]), k=1))
    assert Path(res[0].path).name == "c.png" and res[0].lexical


def test_eval_reports_rerank_and_its_cost(settings, tmp_path):
    from mediasearch.search.datasets import EvalSet
    from mediasearch.search.evaluate import evaluate

    d = tmp_path / "set"
    d.mkdir()
    s = EvalSet(format="t")
    for name, rgb in {"red": (230, 20, 20), "green": (20, 200, 30), "blue": (20, 30, 220)}.items():
        s.add(solid(d / f"{name}.png", rgb), [f"a {name} picture"])
    cap = ColourCaptioner({"red": "a red picture", "green": "a green picture", "blue": "a blue picture"})
    r = evaluate(s, settings, "fake", captioner=cap)
    assert r.reranked["text_to_image"]["R@1"] == 100.0 and r.reranked["ms_per_query"] >= 0
    assert r.reranked["captioner"] == "test-colours"


@pytest.mark.slow  # transformers and a tiny LLaVA built (8 s): not for the loop
@pytest.mark.torch
def test_the_caption_command_and_api_rerank_run_the_real_model(indexed, tiny_llava, cli, monkeypatch):
    """Issue 13: no test ran `mediasearch caption` or the API's rerank=true."""
    from fastapi.testclient import TestClient

    from mediasearch.web.app import create_app

    lib, _ = indexed
    settings = lib.settings
    spec = f"llava:{tiny_llava}"
    code, _, err = cli("caption", "--captioner", spec, "--data-dir", settings.home)
    assert code == 0 and "5 captions made" in err
    code, _, err = cli("caption", "--captioner", spec, "--data-dir", settings.home)
    assert code == 0 and "0 captions made" in err  # made once
    settings.captioner = spec
    with TestClient(create_app(settings, allowed_hosts=["testserver"], library=lib)) as c:
        assert c.get("/api/status").json()["captioner"]["available"] is True
        r = c.get("/api/search", params={"q": "red", "rerank": "true", "k": 3})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["reranked"]["candidates"] == 3
        assert all(h["rerank_score"] is not None and "caption" in h["score_parts"]
               and any(w["signal"] == "caption" for w in h["why"]) for h in body["results"])


def test_the_device_is_chosen_in_one_place(monkeypatch):
    from mediasearch.indexer.embedders.device import pick_device
    from mediasearch.indexer.speech import Transcriber

    assert pick_device("cpu") == "cpu"
    with pytest.raises(ConfigError, match="unknown device"):
        pick_device("quantum")
    import importlib.util

    from mediasearch.indexer.embedders.device import ort_providers
    if importlib.util.find_spec("torch") is None:  # open_clip's PyTorch path names its extra
        with pytest.raises(ModelUnavailableError, match=r"mediasearch\[torch\]"):
            pick_device("cuda:1")
    elif not __import__("torch").cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            pick_device("cuda:1")
        assert pick_device("auto") in ("cpu", "mps")
    import onnxruntime
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        # ONNX Runtime models (the bundled one): a GPU asked for and not there is said, not run on the CPU.
        with pytest.raises(ConfigError, match=r"mediasearch\[gpu\]"):
            ort_providers("cuda")
        assert ort_providers("auto") == ["CPUExecutionProvider"]
    # The captioner follows MEDIASEARCH_DEVICE through Settings (issue 29.6: it read the environment itself).
    from mediasearch.store.settings import Settings

    monkeypatch.setenv("MEDIASEARCH_DEVICE", "cpu")
    cap = resolve_captioner("image-to-text:some/model", Settings().device)
    assert pick_device(cap.device_setting) == "cpu"
    t = Transcriber("bundled", "cuda:1")
    assert (t.device, t.device_index) == ("cuda", 1)  # not GPU 0
