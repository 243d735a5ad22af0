"""The open_clip backend: any open_clip architecture with a pretrained tag or a
local checkpoint file.

open_clip itself only logs a warning and carries on with random weights when
``pretrained`` is missing; this adapter refuses instead. Weights are looked up
in the local caches first (Hugging Face hub cache, ~/.cache/clip) and loaded
from the file found, so no network call is made when they are present.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
from pathlib import Path

import numpy as np
from PIL import Image

from mediasearch.store.errors import ConfigError, ModelUnavailableError

from .base import Embedder
from .chinese import ChineseReader
from .languages import language_of

log = logging.getLogger(__name__)

DEFAULT_ARCH = "ViT-B-32"
DEFAULT_TAG = "laion2b_s34b_b79k"
HF_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


def looks_like_path(weights: str) -> bool:
    return (os.sep in weights or weights.startswith((".", "~"))
            or weights.endswith((".pt", ".pth", ".bin", ".safetensors", ".ckpt")))


# Where the default model lives on the hub, known without importing open_clip
# (and torch with it: ~10 s cold), so "auto" on a machine without weights
# decides in well under a second.
KNOWN_HUB = {(DEFAULT_ARCH, DEFAULT_TAG): {"hf_hub": "laion/CLIP-ViT-B-32-laion2B-s34B-b79K/"}}


def cached_weights(arch: str, tag: str) -> Path | None:
    """The local file holding ``arch``/``tag`` weights, if already downloaded."""
    cfg = KNOWN_HUB.get((arch, tag))
    if cfg is None:
        import open_clip

        cfg = open_clip.get_pretrained_cfg(arch, tag)
    if not cfg:
        return None
    if cfg.get("file"):
        return Path(cfg["file"]) if Path(cfg["file"]).is_file() else None
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo_id, filename = os.path.split(hub)
        names = (filename,) if filename else HF_WEIGHT_FILES
        for name in names:
            found = try_to_load_from_cache(repo_id, name)
            if isinstance(found, str) and os.path.isfile(found):
                return Path(found)
    url = cfg.get("url", "")
    if url:
        local = Path(os.path.expanduser("~/.cache/clip")) / os.path.basename(url)
        if local.is_file():
            return local
    return None


def model_config(arch: str) -> dict | None:
    """open_clip's config of ``arch``: a built-in one read from its JSON file
    without importing open_clip, any other (registered at run time) from it."""
    spec = importlib.util.find_spec("open_clip")
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "model_configs" / f"{arch}.json"
        if path.is_file():
            return json.loads(path.read_text())
    import open_clip

    return open_clip.get_model_config(arch)


def validate_tag(arch: str, tag: str) -> None:
    if (arch, tag) in KNOWN_HUB:
        return  # known good: no open_clip import (6.5 s) to say so
    import open_clip

    if arch not in open_clip.list_models():
        raise ConfigError(f"unknown open_clip architecture {arch!r}; see open_clip.list_models()")
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if tag not in tags:
        raise ConfigError(
            f"open_clip has no weights tagged {tag!r} for {arch}; known tags: {', '.join(tags) or 'none'}"
            " (or give a checkpoint file path)")


class EnglishClipReading:
    """What an English-only CLIP is given for a Chinese query (both the
    open_clip path and the ONNX exports read queries this way)."""

    arch: str
    _reader: ChineseReader

    @property
    def reads_other_languages(self) -> bool:
        """The multilingual CLIPs (XLM-R, mT5, NLLB, SigLIP i18n text towers)."""
        return any(k in self.arch.lower() for k in ("xlm", "mt5", "nllb", "i18n", "multilingual"))

    def _in_english(self, text: str) -> str | None:
        """An English-only CLIP is given a Chinese text's English words
        (chinese.py; LAION's English captions taught it no Chinese)."""
        if self.reads_other_languages or language_of(text) != "zh" or not self._reader.available():
            return None
        return self._reader.english(text) or None

    def query_reading(self, text: str) -> str | None:
        words = self._in_english(text)
        return f"read as Chinese: “{words}”" if words else None


NEEDS_TORCH = ("open_clip models run on PyTorch, which the default install leaves out: "
               "pip install 'mediasearch[torch]', or give a folder holding an ONNX export "
               "(immich-app's layout), or use --model bundled")


def open_clip_installed() -> bool:
    return importlib.util.find_spec("open_clip") is not None and importlib.util.find_spec("torch") is not None


class OpenClipEmbedder(EnglishClipReading, Embedder):
    """``weights`` is a pretrained tag, a checkpoint path, or None with
    ``allow_random=True`` (tests and speed benchmarks only)."""

    text_segment_scale = 0.4

    def __init__(self, arch: str = DEFAULT_ARCH, weights: str | None = DEFAULT_TAG,
                 device: str = "cpu", batch_size: int = 32, allow_download: bool = False,
                 allow_random: bool = False, runtime: str = "torch", int8: bool = False,
                 onnx_cache: Path | None = None):
        super().__init__()
        self.onnx_cache = onnx_cache
        if runtime not in ("auto", "torch", "onnx"):
            raise ConfigError(f"MEDIASEARCH_RUNTIME: use auto, torch or onnx (not {runtime!r})")
        if not open_clip_installed():
            raise ModelUnavailableError(NEEDS_TORCH)
        self.runtime_setting, self.int8 = runtime, int8
        self.onnx = None  # the ONNX Runtime towers, once exported and verified
        self.runtime_used = "torch"
        if weights is None and not allow_random:
            raise ModelUnavailableError("open_clip needs pretrained weights (a tag or a checkpoint file)")
        self.arch = arch
        self._reader = ChineseReader()
        self.weights = weights
        self.device = device
        self.batch_size = batch_size
        self.allow_download = allow_download
        self.checkpoint: Path | None = None
        if weights is not None:
            if looks_like_path(weights):
                path = Path(weights).expanduser()
                if not path.is_file():
                    raise ModelUnavailableError(f"checkpoint file not found: {path}")
                self.checkpoint = path.resolve()
            else:
                validate_tag(arch, weights)
                self.checkpoint = cached_weights(arch, weights)
                if self.checkpoint is None and not allow_download:
                    raise ModelUnavailableError(
                        f"open_clip weights {arch}/{weights} are not in the local cache and no "
                        "download was allowed")
        self.model_id = f"openclip:{arch}/{self._weights_label()}"
        self.dim = self._embed_dim()

    def _weights_label(self) -> str:
        if self.weights is None:
            return "random"
        return str(self.checkpoint) if looks_like_path(self.weights) else self.weights

    def _embed_dim(self) -> int:
        cfg = model_config(self.arch)
        if not cfg:
            raise ConfigError(f"unknown open_clip architecture {self.arch!r}")
        return int(cfg["embed_dim"])

    def identity(self) -> dict:
        weights = self._weights_label()
        if self.checkpoint is not None and looks_like_path(self.weights or ""):
            st = self.checkpoint.stat()
            weights = f"{self.checkpoint}#size={st.st_size}"
        return {"backend": "openclip", "architecture": self.arch, "weights": weights, "dim": self.dim}

    @property
    def spec(self) -> str:
        return self.model_id

    def _load(self) -> None:
        if self._open_exported():
            return
        import open_clip
        import torch

        kwargs: dict = {}
        pretrained: str | None
        if self.weights is None:
            pretrained = None
        elif looks_like_path(self.weights):
            pretrained = str(self.checkpoint)
        else:
            cfg = open_clip.get_pretrained_cfg(self.arch, self.weights)
            for key, arg in (("mean", "image_mean"), ("std", "image_std"),
                             ("interpolation", "image_interpolation"), ("resize_mode", "image_resize_mode")):
                if cfg.get(key):
                    kwargs[arg] = cfg[key]
            if cfg.get("quick_gelu"):
                kwargs["force_quick_gelu"] = True
            # Load the cached file directly: no hub round trip when offline.
            pretrained = str(self.checkpoint) if self.checkpoint else self.weights
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                self.arch, pretrained=pretrained, device=self.device, **kwargs)
        except (RuntimeError, FileNotFoundError, OSError) as e:
            raise ModelUnavailableError(f"could not load open_clip {self.arch}/{self.weights}: {e}") from e
        if self.device.startswith("cuda"):
            model = model.half()  # fp16 on GPU: half the memory, twice the speed
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(self.arch)
        self._dtype = next(model.parameters()).dtype
        self._torch = torch
        if self.runtime_setting != "torch" and self.device == "cpu":
            self._use_onnx()
        else:
            why = "MEDIASEARCH_RUNTIME=torch" if self.runtime_setting == "torch" else f"device {self.device}"
            log.info("open_clip %s on PyTorch (%s)", self.arch, why)

    def _export_identity(self) -> dict:
        from importlib.metadata import version

        return {**self.identity(), "open_clip": version("open_clip_torch")}

    def _open_exported(self) -> bool:
        """Start on a verified ONNX export of this checkpoint file without
        building the PyTorch model (onnx_towers.open_exported), and without
        importing open_clip where its preprocessing and tokenizer were
        rebuilt and checked (clip_fast.py): 2-3 s and 4-5 s of a start."""
        if self.runtime_setting == "torch" or self.device != "cpu" or self.checkpoint is None:
            return False
        from .device import cpu_threads
        from .onnx_towers import open_exported

        got = open_exported(self._export_identity(), self.checkpoint, cpu_threads(), self.int8, self.onnx_cache)
        if got is None:
            return False
        self.onnx, alias = got
        try:
            from .clip_fast import Preprocess, simple_tokenizer

            if not alias.get("tokenizer"):
                raise ValueError("the tokenizer is open_clip's own")
            self.preprocess = Preprocess(alias["preprocess"])
            self.tokenizer = simple_tokenizer(alias["tokenizer"]["context_length"])
        except (ValueError, ImportError, KeyError, OSError):
            import open_clip
            from open_clip.transform import PreprocessCfg, image_transform_v2

            self.preprocess = image_transform_v2(PreprocessCfg(**alias["preprocess"]), is_train=False)
            self.tokenizer = open_clip.get_tokenizer(self.arch)
        self.model, self._dtype, self._torch = None, None, None  # ONNX Runtime runs both towers
        self.runtime_used = "onnx-int8" if self.int8 else "onnx"
        log.info("open_clip %s: the ONNX export verified for %s (no PyTorch model built)", self.arch, self.checkpoint)
        return True

    @property
    def runtime(self) -> str:
        return self.runtime_used

    @property
    def device_label(self) -> str:
        return self.device

    def _use_onnx(self) -> None:
        """ONNX Runtime on a CPU, where it is faster; PyTorch when it cannot be."""
        from .onnx_towers import OnnxUnavailable, build, remember

        try:
            self.onnx = build(self.model, self.tokenizer, self.identity(), self._torch.get_num_threads(), self.int8,
                              self.onnx_cache)
        except OnnxUnavailable as e:
            log.warning("ONNX Runtime not used (%s); PyTorch runs the model", e)
            return
        self.runtime_used = "onnx-int8" if self.int8 else "onnx"
        log.info("open_clip %s: PyTorch model built, its ONNX export verified; ONNX Runtime runs it", self.arch)
        if self.checkpoint is not None:
            from open_clip import get_model_preprocess_cfg

            from .clip_fast import agrees, standalone

            cfg, tok = get_model_preprocess_cfg(self.model), standalone(self.tokenizer)
            remember(self._export_identity(), self.checkpoint, "int8" if self.int8 else "fp32", self.onnx.folder,
                     self.onnx_cache,
                     preprocess=cfg, tokenizer=tok if agrees(self.preprocess, self.tokenizer, cfg, tok) else None)
    def prepare_image(self, image: Image.Image):
        self.ensure_loaded()
        return self.preprocess(image.convert("RGB"))

    def _embed_prepared(self, items: list) -> np.ndarray:
        torch = self._torch
        if self.onnx is not None:  # tensors (open_clip's preprocessing) or arrays (clip_fast's)
            return self.onnx.image(np.stack([np.asarray(i) for i in items]))
        with torch.inference_mode():
            batch = torch.stack(items).to(self.device, dtype=self._dtype)
            return self.model.encode_image(batch).float().cpu().numpy()

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        texts = [self._in_english(t) or t for t in texts]
        torch = self._torch
        if self.onnx is not None:  # tensors (open_clip's tokenizer) or arrays (clip_fast's)
            return self.onnx.text(np.asarray(self.tokenizer(texts)))
        with torch.inference_mode():
            tokens = self.tokenizer(texts).to(self.device)
            return self.model.encode_text(tokens).float().cpu().numpy()
