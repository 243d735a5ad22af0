"""CLAP for sounds, for a person who has its weights (``laion/clap-htsat-*``
through transformers' ``ClapModel``, from local files only, like LLaVA): a
recording's soundtrack is heard in 10-s windows, each scored by CLAP
against the 527 AudioSet sound names (shipped as data:
embedders/tables/audioset_labels.json); the window reaches the shared space
as the probability-weighted mean of its top names' vectors in the active
text tower (the bridge the bundled model uses for pictures). So "rain",
"dog barking" or "piano" find the moment, by vector and by the names, which
are the segment's words.

``MEDIASEARCH_CLAP_MODEL``: ``auto`` (default: the first known CLAP in the
Hugging Face cache; none, nothing is loaded), ``off``, or a folder or hub
id. Weights that do not load completely are refused: a CLAP on random
weights would tag every sound wrongly and silently.
"""
from __future__ import annotations

import json
import logging
import threading
from importlib.resources import files
from pathlib import Path

import numpy as np

from mediasearch.store.errors import ModelUnavailableError

from .hub_cache import snapshots

log = logging.getLogger(__name__)

KNOWN = ("laion/clap-htsat-unfused", "laion/clap-htsat-fused", "laion/larger_clap_general",
         "laion/larger_clap_music_and_speech")
WINDOW = 10.0      # seconds: what CLAP was trained on
MIN_WINDOW = 2.0   # a shorter tail is not heard on its own
RATE = 48000
TOP = 5            # names that make a window's vector
SHOWN = 0.15       # a name is in the words when it has at least this share
_lock = threading.Lock()
_taggers: dict[tuple[str, int], "ClapTagger"] = {}


def labels() -> list[str]:
    data = json.loads((files("mediasearch.indexer.embedders.tables") / "audioset_labels.json").read_text())
    return data["labels"]


def find(setting: str) -> str | None:
    """Where the CLAP weights are, without importing anything (None: no CLAP)."""
    if setting == "off":
        return None
    if setting == "auto":
        return next((m for m in KNOWN if snapshots(m).is_dir()), None)
    if Path(setting).expanduser().exists() or snapshots(setting).is_dir():
        return str(Path(setting).expanduser()) if Path(setting).expanduser().exists() else setting
    raise ModelUnavailableError(f"MEDIASEARCH_CLAP_MODEL={setting!r}: no such folder, and not in the "
                                "Hugging Face cache (CLAP is loaded from local files only)")


class ClapTagger:
    def __init__(self, source: str, embedder):
        try:
            import torch
            from transformers import AutoTokenizer, ClapFeatureExtractor, ClapModel
        except ImportError as e:
            raise ModelUnavailableError("CLAP needs transformers (pip install 'mediasearch[clap]')") from e
        self.torch = torch
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            self.features = ClapFeatureExtractor.from_pretrained(source, local_files_only=True)
            self.model, info = ClapModel.from_pretrained(source, local_files_only=True, output_loading_info=True)
        except (OSError, ValueError) as e:
            raise ModelUnavailableError(f"cannot load CLAP from {source}: {e}") from e
        if info.get("missing_keys"):
            raise ModelUnavailableError(f"CLAP at {source} lacks {len(info['missing_keys'])} weights (e.g. "
                                        f"{info['missing_keys'][0]}): refused rather than run on random weights")
        self.model.eval()
        self.source = source
        self.names = labels()
        prompts = [f"the sound of {n.lower()}" for n in self.names]
        with torch.no_grad():
            t = self._pooled(self.model.get_text_features(**self.tokenizer(prompts, padding=True, return_tensors="pt")))
        self.name_vectors = t.numpy()
        self.scale = float(self.model.logit_scale_a.detach().exp())
        # The names in the active text tower: the bridge into the shared space.
        bridge = embedder.embed_texts(prompts)
        self.bridge = bridge / np.maximum(np.linalg.norm(bridge, axis=1, keepdims=True), 1e-12)
        self.segment_scale = embedder.text_segment_scale
        self._lock = threading.Lock()
        log.info("CLAP loaded from %s", source)

    def _pooled(self, out):
        v = out if self.torch.is_tensor(out) else out.pooler_output  # transformers 4.x / 5.x
        return self.torch.nn.functional.normalize(v, dim=-1)

    def hear(self, samples: np.ndarray, rate: int = 16000) -> list[tuple[float, float, np.ndarray, list[str]]]:
        """(start, end, vector in the shared space, names heard) per window;
        consecutive windows that sound alike are one."""
        x = np.interp(np.arange(0, len(samples), rate / RATE), np.arange(len(samples)), samples).astype(np.float32)
        step = int(WINDOW * RATE)
        starts = [s for s in range(0, len(x), step) if s == 0 or len(x) - s >= MIN_WINDOW * RATE]
        out = []
        for i in range(0, len(starts), 8):  # bounded batches: memory stays flat on long recordings
            chunk = [x[s:s + step] for s in starts[i:i + 8]]
            inputs = self.features(chunk, sampling_rate=RATE, return_tensors="pt")
            with self._lock, self.torch.no_grad():
                audio = self._pooled(self.model.get_audio_features(**inputs)).numpy()
            for s, a in zip(starts[i:i + 8], audio):
                out.append((s / RATE, min(len(x), s + step) / RATE, *self._bridged(a)))
        return _merge(out, self.segment_scale)

    def _bridged(self, audio: np.ndarray) -> tuple[np.ndarray, list[str]]:
        logits = self.scale * (self.name_vectors @ audio)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        top = np.argsort(-p)[:TOP]
        w = p[top] / p[top].sum()
        v = (w[:, None] * self.bridge[top]).sum(0)
        v = v / max(float(np.linalg.norm(v)), 1e-12) * self.segment_scale
        shown = [self.names[j] for j, share in zip(top, w) if share >= SHOWN] or [self.names[top[0]]]
        return v.astype(np.float32), shown


def _merge(windows, scale: float):
    merged: list[list] = []
    for start, end, v, names in windows:
        if merged and merged[-1][3][0] == names[0]:
            last = merged[-1]
            last[1], last[2] = end, last[2] + v
            last[3] = list(dict.fromkeys(last[3] + names))
        else:
            merged.append([start, end, v, names])
    return [(s, e, (v / max(float(np.linalg.norm(v)), 1e-12) * scale).astype(np.float32), n) for s, e, v, n in merged]


def tagger(source: str, embedder) -> ClapTagger:
    """The shared tagger for the weights at ``source`` (what find() gave)
    and this text tower."""
    key = (source, id(embedder))
    with _lock:
        if key not in _taggers:
            _taggers[key] = ClapTagger(source, embedder)
        return _taggers[key]
