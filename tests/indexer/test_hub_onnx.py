"""Issue 30.3: open_clip models from ready ONNX exports, without PyTorch.

A tiny random open_clip model is exported here in immich's layout (the one
``immich-app/<ARCH>__<tag>`` uses on the hub); the torch-free embedder must
give open_clip's own numbers, from a folder and from the hub cache, and a
default install (no open_clip) must find it there.
"""
import gzip
import json
import warnings

import numpy as np
import pytest
from PIL import Image

from mediasearch.indexer.embedders.registry import resolve_embedder

pytestmark = [pytest.mark.slow, pytest.mark.torch]

TINY = "ms-test-tiny-clip-onnx"
TINY_CFG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
WORDS = (r"""<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""")


def clip_tokenizer_json(path):
    """CLIP's BPE as a Hugging Face tokenizer.json, from open_clip's merge table."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    from mediasearch.indexer.embedders.clip_fast import ClipTokenizer, _byte_letters, _open_clip_file

    with gzip.open(_open_clip_file("bpe_simple_vocab_16e6.txt.gz"), "rt", encoding="utf-8") as f:
        merges = [tuple(line.split()) for line in f.read().split("\n")[1:ClipTokenizer.MERGES + 1]]
    letters = list(_byte_letters().values())
    vocab = letters + [v + "</w>" for v in letters] + ["".join(m) for m in merges]
    vocab += ["<start_of_text>", "<end_of_text>"]
    tok = Tokenizer(models.BPE(vocab={v: i for i, v in enumerate(vocab)}, merges=merges, end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                           normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(WORDS), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    sot, eot = len(vocab) - 2, len(vocab) - 1
    tok.post_processor = processors.TemplateProcessing(
        single="<start_of_text> $A <end_of_text>", special_tokens=[("<start_of_text>", sot), ("<end_of_text>", eot)])
    tok.save(str(path))


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """open_clip's tiny model on PyTorch, and its export in immich's layout."""
    open_clip = pytest.importorskip("open_clip", reason="the export is made with the torch extra")
    import torch
    from open_clip import factory

    from mediasearch.indexer.embedders.onnx_towers import towers

    factory._MODEL_CONFIGS[TINY] = TINY_CFG
    model, _, preprocess = open_clip.create_model_and_transforms(TINY, pretrained=None)
    model.eval()
    folder = tmp_path_factory.mktemp("export")
    (folder / "visual").mkdir()
    (folder / "textual").mkdir()
    (folder / "config.json").write_text(json.dumps(TINY_CFG))
    cfg = open_clip.get_model_preprocess_cfg(model)
    (folder / "visual/preprocess_cfg.json").write_text(json.dumps(cfg))
    clip_tokenizer_json(folder / "textual/tokenizer.json")
    (folder / "textual/tokenizer_config.json").write_text(json.dumps({"pad_token": "<end_of_text>"}))

    visual, textual = towers(model)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes
        torch.onnx.export(visual, (torch.zeros(1, 3, 32, 32),), str(folder / "visual/model.onnx"),
                          input_names=["image"], dynamic_axes={"image": {0: "n"}}, dynamo=False)
        torch.onnx.export(textual, (torch.zeros(1, 16, dtype=torch.int32),), str(folder / "textual/model.onnx"),
                          input_names=["text"], dynamic_axes={"text": {0: "n"}}, dynamo=False)
    tokenizer = open_clip.get_tokenizer(TINY)
    yield folder, model, preprocess, tokenizer
    factory._MODEL_CONFIGS.pop(TINY, None)


def pictures():
    rng = np.random.default_rng(3)
    return [Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)), Image.new("RGB", (40, 30), "red")]


def reference(model, preprocess, tokenizer, texts):
    import torch

    with torch.inference_mode():
        images = model.encode_image(torch.stack([preprocess(p) for p in pictures()])).numpy()
        words = model.encode_text(tokenizer(texts)).numpy()
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    return unit(images), unit(words)


def test_an_export_folder_gives_open_clips_vectors_without_pytorch(export):
    from mediasearch.indexer.embedders.hub_onnx import OnnxClipEmbedder

    folder, model, preprocess, tokenizer = export
    texts = ["a red bus", "snow on the mountains at dawn", "two dogs"]
    want_images, want_texts = reference(model, preprocess, tokenizer, texts)
    emb = OnnxClipEmbedder(TINY, "tag", folder)
    assert (emb.embed_images(pictures()) * want_images).sum(1).min() > 0.9999
    assert (emb.embed_texts(texts) * want_texts).sum(1).min() > 0.9999
    assert emb.identity() == {"backend": "openclip", "architecture": TINY, "weights": "tag", "dim": 32}


def test_a_default_install_finds_the_export_in_the_hub_cache(export, tmp_path, monkeypatch, settings, cli):
    """No open_clip: openclip:ARCH/TAG is read from immich-app/ARCH__TAG in
    the local hub cache (tag written with dashes, as immich names them)."""
    import shutil

    import huggingface_hub.constants

    from mediasearch.indexer.embedders import openclip
    from mediasearch.indexer.embedders.hub_onnx import OnnxClipEmbedder

    folder = export[0]
    repo = tmp_path / "hub" / f"models--immich-app--{TINY}__laion-tag"
    shutil.copytree(folder, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(openclip, "open_clip_installed", lambda: False)

    emb = resolve_embedder(settings, f"openclip:{TINY}/laion_tag").embedder
    assert isinstance(emb, OnnxClipEmbedder) and emb.model_id == f"openclip:{TINY}/laion_tag"
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, p in enumerate(pictures()):
        p.save(photos / f"{i}.png")
    data = tmp_path / "data"
    code, out, err = cli("index", photos, "--data-dir", data, "--model", f"openclip:{TINY}/laion_tag", "--no-progress")
    assert code == 0, err
    code, out, err = cli("search", "a red bus", "--data-dir", data, "--all", "--json")
    assert code == 0, err
    assert len(json.loads(out)["results"]) == 2
