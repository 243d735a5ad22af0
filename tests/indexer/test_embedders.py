
import numpy as np
import pytest
from PIL import Image

from mediasearch.indexer.embedders.fake import FakeEmbedder
from mediasearch.indexer.embedders.registry import resolve_embedder
from mediasearch.store.errors import ConfigError, ModelUnavailableError

TINY = "ms-test-tiny-clip"
TINY_CFG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_clip():
    """Register a tiny open_clip architecture (no download, random init)."""
    pytest.importorskip("open_clip", reason="open_clip runs on the torch extra: pip install -e '.[torch]'")
    from open_clip import factory

    factory._MODEL_CONFIGS[TINY] = TINY_CFG
    yield TINY
    factory._MODEL_CONFIGS.pop(TINY, None)


def images():
    return [Image.new("RGB", (40, 30), c) for c in [(255, 0, 0), (0, 0, 255)]]


def test_fake_is_deterministic_normalised_and_colour_aware():
    e = FakeEmbedder()
    a, b = e.embed_images(images()), e.embed_images(images())
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and np.allclose(np.linalg.norm(a, axis=1), 1)
    t = e.embed_texts(["a red thing", "blue"])
    assert (a @ t.T).argmax(0).tolist() == [0, 1]


@pytest.mark.slow
@pytest.mark.torch
def test_openclip_runs_a_real_model_on_random_weights_only_when_asked(tiny_clip):
    from mediasearch.indexer.embedders.openclip import OpenClipEmbedder

    with pytest.raises(ModelUnavailableError):
        OpenClipEmbedder(tiny_clip, None)
    e = OpenClipEmbedder(tiny_clip, None, allow_random=True)
    assert e.dim == 32 and e.identity()["weights"] == "random"
    v = e.embed_images(images())
    t = e.embed_texts(["a photo of a cat", "a dog"])
    assert v.shape == (2, 32) and t.shape == (2, 32)
    assert np.allclose(np.linalg.norm(v, axis=1), 1) and np.allclose(np.linalg.norm(t, axis=1), 1)


@pytest.mark.slow  # imports torch and open_clip (~10 s on 2 cores)
@pytest.mark.torch
def test_openclip_loads_a_local_checkpoint_file(tiny_clip, tmp_path):
    import torch

    from mediasearch.indexer.embedders.openclip import OpenClipEmbedder

    random_model = OpenClipEmbedder(tiny_clip, None, allow_random=True)
    random_model.ensure_loaded()
    ckpt = tmp_path / "tiny.pt"
    torch.save(random_model.model.state_dict(), ckpt)
    loaded = OpenClipEmbedder(tiny_clip, str(ckpt))
    # Same weights -> same vectors: the file was really loaded.
    np.testing.assert_allclose(loaded.embed_texts(["hello"]), random_model.embed_texts(["hello"]), atol=1e-5)
    np.testing.assert_allclose(loaded.embed_images(images()), random_model.embed_images(images()), atol=1e-5)
    assert str(ckpt) in loaded.identity()["weights"]


@pytest.mark.slow  # imports torch and open_clip (~10 s on 2 cores)
@pytest.mark.torch
def test_openclip_refuses_missing_weights_clearly(tiny_clip, tmp_path):
    from mediasearch.indexer.embedders.openclip import OpenClipEmbedder

    with pytest.raises(ModelUnavailableError, match="not found"):
        OpenClipEmbedder(tiny_clip, str(tmp_path / "nope.safetensors"))
    with pytest.raises(ConfigError, match="known tags"):
        OpenClipEmbedder("ViT-B-32", "no_such_tag")
    with pytest.raises(ModelUnavailableError, match="local cache"):
        OpenClipEmbedder("ViT-B-32", "laion2b_s34b_b79k", allow_download=False)


def test_model_spec_parsing(settings):
    with pytest.raises(ConfigError):
        resolve_embedder(settings, "nonsense")
    with pytest.raises(ConfigError, match="random"):
        resolve_embedder(settings, "openclip:ViT-B-32/random")
    assert resolve_embedder(settings, "fake").embedder.model_id == "fake"


def test_auto_falls_back_to_bundled_fast_and_says_why(tmp_path):
    """Deciding "no CLIP here" must not cost the ~10 s torch import (nor a hub
    retry loop): it reads the local caches only, then takes the bundled model."""
    import subprocess
    import sys

    code = ("import sys; from mediasearch.indexer.embedders.registry import resolve_embedder; "
            "from mediasearch.store.settings import Settings; "
            f"c = resolve_embedder(Settings(home={str(tmp_path / 'data')!r}, network_timeout=2.0), 'auto'); "
            "print(c.embedder.model_id, 'torch' in sys.modules); print(c.reason)")
    env = {**__import__("os").environ, "HF_HOME": str(tmp_path / "empty-hub"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    first, reason = out.stdout.splitlines()[:2]
    assert first == "bundled False"
    assert "bundled" in reason and "CLIP" in reason


@pytest.mark.slow  # imports open_clip
@pytest.mark.torch
def test_the_known_hub_table_agrees_with_open_clip():
    open_clip = pytest.importorskip("open_clip")

    from mediasearch.indexer.embedders.openclip import KNOWN_HUB

    for (arch, tag), cfg in KNOWN_HUB.items():
        assert open_clip.get_pretrained_cfg(arch, tag)["hf_hub"] == cfg["hf_hub"]


def test_auto_prefers_the_model_the_index_was_built_with(settings):
    choice = resolve_embedder(settings, "auto", stored={"spec": "fake"})
    assert choice.embedder.model_id == "fake" and "built with" in choice.reason


@pytest.mark.slow
def test_bundled_model_finds_the_cat(tmp_path, onnx_cache):
    from skimage import data

    from mediasearch.indexer.embedders.bundled import BundledEmbedder

    e = BundledEmbedder(cache_dir=tmp_path, onnx_cache=onnx_cache)
    pics = {"cat": data.chelsea(), "coffee": data.coffee(), "rocket": data.rocket(),
            "astronaut": data.astronaut()}
    v = e.embed_images([Image.fromarray(a) for a in pics.values()])
    assert v.shape == (4, 384) and np.allclose(np.linalg.norm(v, axis=1), 1)
    names = list(pics)
    t = e.embed_texts(["a photo of a cat", "a cup of coffee", "a rocket"])
    best = (t @ v.T).argmax(1)
    assert [names[i] for i in best] == ["cat", "coffee", "rocket"]
    # The class-name table ships with the package: nothing computed per data dir.
    assert not list(tmp_path.glob("bundled-*.npy"))


@pytest.mark.slow  # the real MiniLM weights on 75 prompts: ~11 s on 2 busy cores
def test_shipped_bundled_tables_match_a_live_computation(tmp_path, onnx_cache):
    """The class-name and colour tables ship as package data (issue 20: the
    first index froze for minutes computing them); sample rows recomputed
    live from the packaged weights agree within 1e-5."""
    from mediasearch.indexer.embedders.bundled import BundledEmbedder
    from mediasearch.indexer.embedders.tables import shipped

    e = BundledEmbedder(cache_dir=tmp_path, onnx_cache=onnx_cache)
    for kind, (key, names, templates) in e.table_specs().items():
        table = shipped(key, (len(names), e.dim))
        assert table is not None, f"no shipped {kind} table for the current names/templates/weights"
        rows = sorted({0, len(names) // 2, len(names) - 1, *range(0, len(names), 331)})
        live = e.compute_table([names[i] for i in rows], templates)
        np.testing.assert_allclose(table[rows], live, atol=1e-5)
    # Other templates (a tuning run) are computed once and cached per machine.
    other = BundledEmbedder(cache_dir=tmp_path, onnx_cache=onnx_cache, templates=("a {}.",))
    other.compute_table = lambda names, templates: np.ones((len(names), 384), np.float32)
    assert other._table("classes").shape == (1000, 384) and list(tmp_path.glob("bundled-classes-*.npy"))


def test_a_bundled_text_query_never_imports_torch(tmp_path):
    """The CLI's text search stays fast: MiniLM runs in NumPy, torch (2.5 s to
    import) loads only for pictures."""
    import subprocess
    import sys

    code = ("import sys; from mediasearch.indexer.embedders.registry import resolve_embedder; "
            "from mediasearch.store.settings import Settings; "
            f"e = resolve_embedder(Settings(home={str(tmp_path)!r}), 'bundled').embedder; "
            "v = e.embed_texts(['a dog on the beach']); "
            "print(v.shape, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.stdout.split()[-1] == "False" and "(1, 384)" in out.stdout


def test_colour_shares_name_the_colours_a_person_would():
    from mediasearch.indexer.embedders.colour import COLOURS, colour_shares

    def share(rgb, name):
        return colour_shares(Image.new("RGB", (120, 80), rgb))[COLOURS.index(name)]

    for rgb, name in (((200, 30, 30), "red"), ((20, 60, 200), "blue"), ((30, 160, 40), "green"),
                      ((10, 10, 10), "black"), ((245, 245, 245), "white"), ((128, 128, 128), "grey"),
                      ((120, 70, 20), "brown"), ((240, 200, 20), "yellow"), ((250, 150, 190), "pink")):
        assert share(rgb, name) > 0.99, (rgb, name)
    # A subject in the middle counts more than the edges around it.
    img = Image.new("RGB", (100, 100), (20, 60, 200))
    img.paste((200, 30, 30), (30, 30, 70, 70))
    s = colour_shares(img)
    assert s[COLOURS.index("red")] > 2 * 0.16 and abs(s.sum() - 1) < 1e-5  # 16% of the area


@pytest.mark.slow
def test_bundled_model_knows_colours_imagenet_does_not_name(tmp_path, onnx_cache):
    from mediasearch.indexer.embedders.bundled import BundledEmbedder

    e = BundledEmbedder(cache_dir=tmp_path, onnx_cache=onnx_cache)
    rng = np.random.default_rng(0)
    pics = {}
    for name, rgb in (("red", (200, 30, 30)), ("blue", (20, 60, 200)), ("yellow", (240, 200, 20))):
        # the same texture in three colours: only the colour tells them apart
        noise = rng.normal(0, 12, (120, 160, 1))
        pics[name] = Image.fromarray(np.clip(np.asarray(rgb) + noise, 0, 255).astype(np.uint8))
    v = e.embed_images(list(pics.values()))
    t = e.embed_texts(["something red", "a blue thing", "yellow"])
    assert [list(pics)[i] for i in (t @ v.T).argmax(1)] == ["red", "blue", "yellow"]
    assert "colour=" in e.identity()["weights"]  # indexes built before colours are told to rebuild


@pytest.mark.slow
@pytest.mark.torch
def test_plain_minilm_matches_sentence_transformers():
    pytest.importorskip("sentence_transformers", reason="needs PyTorch: the torch extra and sentence-transformers")
    from sentence_transformers import SentenceTransformer

    from mediasearch.indexer.embedders.bundled import _minilm_path
    from mediasearch.indexer.embedders.minilm import MiniLM

    texts = ["a dog on the beach", "IMG_2041", "Kinderg\u00e4rten im Schnee " * 40, ""]
    ours = MiniLM(_minilm_path()).encode(texts)
    ref = SentenceTransformer(str(_minilm_path()), device="cpu").encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(ours, ref, atol=1e-5)


@pytest.mark.slow  # imports open_clip
@pytest.mark.torch
def test_an_english_clip_is_given_a_chinese_querys_english_words(tiny_clip):
    """Issue 19 (immich #30902: Chinese search fails with English CLIPs): an
    English-only CLIP embeds a Chinese query's CC-CEDICT reading and says
    so; a multilingual CLIP reads the Chinese itself."""
    from open_clip import factory

    from mediasearch.indexer.embedders.openclip import OpenClipEmbedder

    english = OpenClipEmbedder(tiny_clip, None, allow_random=True)
    np.testing.assert_allclose(english.embed_texts(["一只猫"]), english.embed_texts(["cat"]), atol=1e-6)
    assert english.query_reading("一只猫") == "read as Chinese: “cat”"
    assert english.query_reading("a cat") is None
    factory._MODEL_CONFIGS["ms-test-tiny-xlm"] = TINY_CFG
    try:
        multi = OpenClipEmbedder("ms-test-tiny-xlm", None, allow_random=True)
        assert multi.reads_other_languages and multi.query_reading("一只猫") is None
        assert not np.allclose(multi.embed_texts(["一只猫"]), multi.embed_texts(["cat"]), atol=1e-3)
    finally:
        factory._MODEL_CONFIGS.pop("ms-test-tiny-xlm", None)


@pytest.mark.slow  # imports open_clip
@pytest.mark.parametrize("cfg", [
    {"size": 224, "mean": (0.48145466, 0.4578275, 0.40821073), "std": (0.26862954, 0.26130258, 0.27577711),
     "interpolation": "bicubic", "resize_mode": "shortest"},
    {"size": (256, 256), "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5), "interpolation": "bilinear",
     "resize_mode": "squash"},
])
@pytest.mark.torch
def test_the_preprocessing_and_tokenizer_rebuilt_without_open_clip_match_it(cfg):
    """Issue 20 (start-up): a start on a verified export skips open_clip's
    6.5-s import; its picture preprocessing and CLIP tokenizer, rebuilt, give
    open_clip's numbers (and a start uses them only once that was checked)."""
    open_clip = pytest.importorskip("open_clip")
    from open_clip.transform import PreprocessCfg, image_transform_v2

    from mediasearch.indexer.embedders import clip_fast

    theirs = image_transform_v2(PreprocessCfg(**cfg), is_train=False)
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    tok = clip_fast.standalone(tokenizer)
    assert tok == {"context_length": 77}
    assert clip_fast.agrees(theirs, tokenizer, cfg, tok)
    # A preprocessing it does not rebuild is left to open_clip.
    with pytest.raises(ValueError):
        clip_fast.Preprocess({**cfg, "resize_mode": "longest"})
    assert not clip_fast.agrees(theirs, tokenizer, {**cfg, "resize_mode": "longest"}, tok)


@pytest.mark.slow  # imports open_clip
def test_multilingual_clip_short_names_resolve_and_fail_fast_offline(settings, monkeypatch, tmp_path):
    """The short names name real open_clip models; without their weights the
    error says what is missing (no hub retries on an offline machine)."""
    from mediasearch.indexer.embedders.registry import MULTILINGUAL_CLIP, parse_openclip

    assert parse_openclip("openclip:multilingual") == ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k")
    assert set(MULTILINGUAL_CLIP) == {"multilingual", "siglip-i18n", "nllb"}
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError):
        resolve_embedder(settings, "openclip:multilingual")


@pytest.mark.slow
def test_a_chinese_query_finds_the_cat_with_the_offline_model(tmp_path, onnx_cache):
    """Issue 19: "一只猫" finds the cat with the bundled (English) model (read
    into English words through CC-CEDICT), a Russian or Spanish query
    through USE and the map; English queries never take that way. The
    multilingual model reads them natively. A Chinese query alone never
    wakes USE (200 ms a query: a Chinese query was 10 times slower than an
    English one, for nothing measured on native speakers' captions)."""
    from skimage import data

    from mediasearch.indexer.embedders.bundled import BundledEmbedder
    from mediasearch.indexer.embedders.multilingual import MultilingualEmbedder

    pics = [Image.fromarray(a) for a in (data.chelsea(), data.coffee(), data.rocket(), data.astronaut())]
    bundled = BundledEmbedder(cache_dir=tmp_path, onnx_cache=onnx_cache)
    bundled.embed_texts(["海滩上的狗"])
    assert not bundled._crosslingual._use.loaded
    for emb in (bundled, MultilingualEmbedder(cache_dir=tmp_path, onnx_cache=onnx_cache)):
        v = emb.embed_images(pics)
        t = emb.embed_texts(["一只猫", "一杯咖啡", "火箭发射", "кошка", "una taza de café"])
        assert (t @ v.T).argmax(1).tolist() == [0, 1, 2, 0, 1], emb.model_id
        assert not list(tmp_path.glob("*.npy"))  # every table shipped: nothing computed
    english = BundledEmbedder(cache_dir=tmp_path, onnx_cache=onnx_cache)
    english.ensure_loaded()
    np.testing.assert_allclose(english.embed_texts(["a cat"]), english._encode_texts(["a cat"]), atol=1e-6)


@pytest.mark.slow  # torch, open_clip and an ONNX export
@pytest.mark.torch
def test_onnx_runtime_gives_the_same_vectors_and_is_exported_once(tiny_clip, tmp_path, monkeypatch):
    """Issue 20: the towers run on ONNX Runtime after a verified export into
    the user cache; a second start reuses it; vectors and identity are
    PyTorch's."""
    pytest.importorskip("onnx")
    from mediasearch.indexer.embedders import onnx_towers
    from mediasearch.indexer.embedders.openclip import OpenClipEmbedder

    cache = tmp_path / "onnx"
    torch_e = OpenClipEmbedder(tiny_clip, None, allow_random=True, runtime="torch")
    torch_e.ensure_loaded()
    ckpt = tmp_path / "tiny.pt"
    import torch
    torch.save(torch_e.model.state_dict(), ckpt)
    onnx_e = OpenClipEmbedder(tiny_clip, str(ckpt), runtime="auto", onnx_cache=cache)
    onnx_e.ensure_loaded()
    assert onnx_e.runtime_used == "onnx"
    exported = list((tmp_path / "onnx").glob("*/visual.onnx"))
    assert len(exported) == 1
    np.testing.assert_allclose(onnx_e.embed_images(images()), torch_e.embed_images(images()), atol=1e-4)
    np.testing.assert_allclose(onnx_e.embed_texts(["a red bus", "snow"]), torch_e.embed_texts(["a red bus", "snow"]),
                               atol=1e-4)
    assert onnx_e.model_id == OpenClipEmbedder(tiny_clip, str(ckpt), runtime="torch").model_id
    # A second start: no export (the file is the same one) and no PyTorch
    # model built (the verified export of this file opens alone), the same answers.
    stamp = exported[0].stat().st_mtime_ns
    again = OpenClipEmbedder(tiny_clip, str(ckpt), runtime="auto", onnx_cache=cache)
    again.ensure_loaded()
    assert again.runtime_used == "onnx" and exported[0].stat().st_mtime_ns == stamp
    assert again.model is None
    from mediasearch.indexer.embedders.clip_fast import ClipTokenizer, Preprocess
    # open_clip's pieces rebuilt (checked at export): no open_clip import on such a start.
    assert isinstance(again.preprocess, Preprocess) and isinstance(again.tokenizer, ClipTokenizer)
    np.testing.assert_allclose(again.embed_images(images()), torch_e.embed_images(images()), atol=1e-4)
    np.testing.assert_allclose(again.embed_texts(["a red bus"]), torch_e.embed_texts(["a red bus"]), atol=1e-4)
    # The file rewritten (other bytes, a new mtime): the full start checks it again.
    torch.save(torch_e.model.state_dict(), ckpt)
    rewritten = OpenClipEmbedder(tiny_clip, str(ckpt), runtime="auto", onnx_cache=cache)
    rewritten.ensure_loaded()
    assert rewritten.model is not None and rewritten.runtime_used == "onnx"
    # Other weights of the same architecture get their own export.
    other = OpenClipEmbedder(tiny_clip, None, allow_random=True, runtime="auto", onnx_cache=cache)
    other.ensure_loaded()
    assert len(list((tmp_path / "onnx").glob("*/visual.onnx"))) == 2
    # int8: a quantized image tower, close to fp32, text unchanged.
    q = OpenClipEmbedder(tiny_clip, str(ckpt), runtime="auto", int8=True, onnx_cache=cache)
    q.ensure_loaded()
    assert q.runtime_used == "onnx-int8"
    cos = (q.embed_images(images()) * torch_e.embed_images(images())).sum(1)
    assert cos.min() > onnx_towers.MIN_COSINE_INT8


@pytest.mark.slow
@pytest.mark.torch
def test_a_broken_export_falls_back_to_pytorch_and_says_so(tiny_clip, tmp_path, monkeypatch, caplog):
    pytest.importorskip("onnx")
    import torch

    from mediasearch.indexer.embedders.openclip import OpenClipEmbedder

    cache = tmp_path / "onnx"
    seed = OpenClipEmbedder(tiny_clip, None, allow_random=True, runtime="torch")
    seed.ensure_loaded()
    torch.save(seed.model.state_dict(), tmp_path / "tiny.pt")
    first = OpenClipEmbedder(tiny_clip, str(tmp_path / "tiny.pt"), runtime="auto", onnx_cache=cache)
    first.ensure_loaded()
    assert first.runtime_used == "onnx"
    folder = next(p.parent for p in (tmp_path / "onnx").glob("*/visual.onnx"))
    # A damaged cached export (a disk error, a killed copy): refused at the check.
    (folder / "visual.onnx").write_bytes(b"not a model")
    again = OpenClipEmbedder(tiny_clip, str(tmp_path / "tiny.pt"), runtime="auto", onnx_cache=cache)
    with caplog.at_level("WARNING"):
        again.ensure_loaded()
    assert again.runtime_used == "torch" and "ONNX Runtime not used" in caplog.text
    assert not folder.exists()  # removed: the next start exports afresh
    np.testing.assert_allclose(again.embed_texts(["x"]), seed.embed_texts(["x"]), atol=1e-5)


@pytest.mark.skipif(bool(__import__("glob").glob("/dev/nvidia[0-9]*")), reason="a GPU node: torch must be asked")
def test_the_device_is_chosen_without_importing_torch_where_there_is_no_accelerator():
    """2.6 s of every start on a CPU-only machine (an ONNX Runtime start needs no torch)."""
    import subprocess
    import sys

    code = ("import sys; from mediasearch.indexer.embedders.device import pick_device; "
            "assert pick_device('auto') == 'cpu' and pick_device('cpu') == 'cpu'; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
