"""open_clip models from ready ONNX exports: no PyTorch, no conversion.

immich publishes ONNX exports of open_clip models on the Hugging Face hub as
``immich-app/<ARCH>__<tag>`` (the tag with dashes: ``ViT-B-32__laion2b-s34b-b79k``),
in this layout, which a person may also keep as a plain folder:

    config.json                     open_clip's model config (embed_dim, text_cfg)
    visual/model.onnx               pictures in ("image", float32 NCHW), vectors out
    visual/preprocess_cfg.json      size, mean, std, interpolation, resize_mode
    textual/model.onnx              token ids in ("text", int32), vectors out
    textual/tokenizer.json          the tokenizer (Hugging Face ``tokenizers``)
    textual/tokenizer_config.json   its pad token

A model found this way has the identity of the open_clip model it was
exported from (same architecture, same weights), so an index built through
the torch extra keeps working with it and the other way round.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from mediasearch.store.errors import ModelUnavailableError

from .base import Embedder
from .chinese import ChineseReader
from .openclip import EnglishClipReading

log = logging.getLogger(__name__)

FILES = ("config.json", "visual/model.onnx", "visual/preprocess_cfg.json", "textual/model.onnx",
         "textual/tokenizer.json")


def is_export(folder: Path) -> bool:
    return all((folder / name).is_file() for name in FILES)


def hub_repos(arch: str, tag: str) -> list[str]:
    return list(dict.fromkeys([f"immich-app/{arch}__{tag}", f"immich-app/{arch}__{tag.replace('_', '-')}"]))


def find_export(arch: str, tag: str) -> Path | None:
    """The folder of a cached export of ``arch``/``tag``, or None; looks in
    the local hub cache only (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for repo in hub_repos(arch, tag):
        found = try_to_load_from_cache(repo, "visual/model.onnx")
        if isinstance(found, str):
            folder = Path(found).parents[1]
            if is_export(folder):
                return folder
    return None


class OnnxClipEmbedder(EnglishClipReading, Embedder):
    """Both towers of an exported open_clip model on ONNX Runtime."""

    text_segment_scale = 0.4

    def __init__(self, arch: str, weights: str, folder: Path, providers: list[str] | None = None,
                 batch_size: int = 32, threads: int | None = None):
        super().__init__()
        if not is_export(folder):
            missing = [n for n in FILES if not (folder / n).is_file()]
            raise ModelUnavailableError(f"{folder} is not an ONNX CLIP export (missing {', '.join(missing)})")
        self.arch, self.weights, self.folder = arch, weights, folder
        self._reader = ChineseReader()
        self.batch_size, self.threads = batch_size, threads
        self.providers = providers or ["CPUExecutionProvider"]
        try:
            self.config = json.loads((folder / "config.json").read_text())
            self.dim = int(self.config["embed_dim"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelUnavailableError(f"unreadable model config in {folder}: {e}") from e
        self.model_id = f"openclip:{arch}/{weights}"

    def identity(self) -> dict:
        return {"backend": "openclip", "architecture": self.arch, "weights": self.weights, "dim": self.dim}

    @property
    def spec(self) -> str:
        return self.model_id

    @property
    def runtime(self) -> str:
        return "onnx"

    @property
    def device_label(self) -> str:
        return self.providers[0].removesuffix("ExecutionProvider").lower()

    def _session(self, name: str):
        from .device import cpu_threads
        from .onnx_towers import ort_errors, ort_session

        try:
            return ort_session(self.folder / name, self.threads or cpu_threads(), self.providers)
        except (OSError, *ort_errors()) as e:  # a damaged or unreadable file
            raise ModelUnavailableError(f"cannot open {self.folder / name}: {e}") from e

    def _load(self) -> None:
        from tokenizers import Tokenizer

        from .clip_fast import Preprocess

        log.info("open_clip %s/%s from the ONNX export in %s (no PyTorch)", self.arch, self.weights, self.folder)
        self.preprocess = Preprocess(json.loads((self.folder / "visual/preprocess_cfg.json").read_text()))
        self.textual = self._session("textual/model.onnx")
        self.visual = self._session("visual/model.onnx")
        context = int(self.config.get("text_cfg", {}).get("context_length", 77))
        self.tokenizer = Tokenizer.from_file(str(self.folder / "textual/tokenizer.json"))
        pad = self._pad_token()
        pad_id = self.tokenizer.token_to_id(pad) if pad else 0
        self.tokenizer.enable_padding(length=context, pad_token=pad or "", pad_id=pad_id or 0)
        self.tokenizer.enable_truncation(max_length=context)
        self._text_input = self.textual.get_inputs()[0]
        self._image_input = self.visual.get_inputs()[0].name

    def _pad_token(self) -> str | None:
        try:
            pad = json.loads((self.folder / "textual/tokenizer_config.json").read_text()).get("pad_token")
        except (OSError, ValueError):
            return None
        return pad.get("content") if isinstance(pad, dict) else pad

    def prepare_image(self, image: Image.Image):
        self.ensure_loaded()
        return self.preprocess(image.convert("RGB"))

    def _embed_prepared(self, items: list) -> np.ndarray:
        batch = np.ascontiguousarray(np.stack(items), np.float32)
        return self.visual.run(None, {self._image_input: batch})[0].astype(np.float32)

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        texts = [self._in_english(t) or t for t in texts]
        ids = np.array([e.ids for e in self.tokenizer.encode_batch(list(texts))])
        dtype = np.int32 if "int32" in self._text_input.type else np.int64
        return self.textual.run(None, {self._text_input.name: ids.astype(dtype)})[0].astype(np.float32)
