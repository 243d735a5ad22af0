"""all-MiniLM-L6-v2 without transformers: the BERT encoder, mean pooling and
normalisation that sentence-transformers applies.

It runs in NumPy, so a text query from the command line imports neither
transformers (about 6 s on a small machine) nor torch (about 2.5 s): the
bundled model answers a CLI text search in about a second. One query costs
milliseconds on the CPU, so there is no GPU path."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # The exact (erf) GELU BERT uses, vectorised without scipy.
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26: within 1.5e-7 of erf, far below float32 noise.
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
               + 0.254829592) * t * np.exp(-x * x)
    return np.sign(x) * y


class MiniLM:
    def __init__(self, folder: Path, max_length: int = 256):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        cfg = json.loads((folder / "config.json").read_text())
        self.heads = cfg["num_attention_heads"]
        self.layers = cfg["num_hidden_layers"]
        self.eps = cfg.get("layer_norm_eps", 1e-12)
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(max_length)
        self.tok.enable_padding(pad_id=cfg.get("pad_token_id", 0))
        self.w = {k: np.ascontiguousarray(v, dtype=np.float32)
                  for k, v in load_file(str(folder / "model.safetensors")).items()}
        # Linear weights transposed once, contiguous (in x out) for the products.
        self.wt = {k[:-len(".weight")]: np.ascontiguousarray(v.T) for k, v in self.w.items()
                   if k.endswith(".weight") and v.ndim == 2 and not k.startswith("embeddings.")}

    def encode(self, texts: list[str]) -> np.ndarray:
        enc = self.tok.encode_batch(texts)
        ids = np.asarray([e.ids for e in enc], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in enc], dtype=np.float32)
        types = np.asarray([e.type_ids for e in enc], dtype=np.int64)
        w = self.w

        def lin(x, p):
            # A 2-D product: NumPy hands (tokens x in) @ (in x out) to BLAS, while
            # a 3-D activation times a 2-D weight may take a slow path (10x).
            out = x.reshape(-1, x.shape[-1]) @ self.wt[p] + w[p + ".bias"]
            return out.reshape(*x.shape[:-1], -1)

        def ln(x, p):
            return _layer_norm(x, w[p + ".weight"], w[p + ".bias"], self.eps)

        n, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = ln(x, "embeddings.LayerNorm")
        bias = (1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min
        d = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (lin(x, p + f"attention.self.{m}").reshape(n, length, self.heads, d).transpose(0, 2, 1, 3)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            att = (scores / scores.sum(-1, keepdims=True)) @ v
            att = att.transpose(0, 2, 1, 3).reshape(n, length, -1)
            x = ln(lin(att, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = _gelu(lin(x, p + "intermediate.dense"))
            x = ln(lin(h, p + "output.dense") + x, p + "output.LayerNorm")
        m = mask[..., None]
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)).astype(np.float32)
