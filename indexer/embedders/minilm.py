"""all-MiniLM-L6-v2 in plain PyTorch: the BERT encoder, mean pooling and
normalisation that sentence-transformers applies, without importing
transformers (about 6 s of start-up on a small machine). A text query from
the command line pays for torch and tokenizers only."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


class MiniLM:
    def __init__(self, folder: Path, device: str = "cpu", max_length: int = 256):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        cfg = json.loads((folder / "config.json").read_text())
        self.heads = cfg["num_attention_heads"]
        self.layers = cfg["num_hidden_layers"]
        self.eps = cfg.get("layer_norm_eps", 1e-12)
        self.w = {k: v.to(device) for k, v in load_file(str(folder / "model.safetensors")).items()}
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(max_length)
        self.tok.enable_padding(pad_id=cfg.get("pad_token_id", 0))
        self.device = device
        self.torch = torch

    def _ln(self, x, prefix):
        return self.torch.nn.functional.layer_norm(x, x.shape[-1:], self.w[prefix + ".weight"],
                                                   self.w[prefix + ".bias"], self.eps)

    def _lin(self, x, prefix):
        return self.torch.nn.functional.linear(x, self.w[prefix + ".weight"], self.w[prefix + ".bias"])

    def encode(self, texts: list[str]) -> np.ndarray:
        torch, F, w = self.torch, self.torch.nn.functional, self.w
        enc = self.tok.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc], device=self.device)
        mask = torch.tensor([e.attention_mask for e in enc], device=self.device)
        types = torch.tensor([e.type_ids for e in enc], device=self.device)
        n, length = ids.shape
        with torch.inference_mode():
            x = (w["embeddings.word_embeddings.weight"][ids]
                 + w["embeddings.position_embeddings.weight"][:length][None]
                 + w["embeddings.token_type_embeddings.weight"][types])
            x = self._ln(x, "embeddings.LayerNorm")
            bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(x.dtype).min
            d = x.shape[-1] // self.heads
            for i in range(self.layers):
                p = f"encoder.layer.{i}."
                q, k, v = (self._lin(x, p + f"attention.self.{m}").view(n, length, self.heads, d).transpose(1, 2)
                           for m in ("query", "key", "value"))
                att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1) @ v
                att = att.transpose(1, 2).reshape(n, length, -1)
                x = self._ln(self._lin(att, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
                h = F.gelu(self._lin(x, p + "intermediate.dense"))
                x = self._ln(self._lin(h, p + "output.dense") + x, p + "output.LayerNorm")
            m = mask[..., None].float()
            pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return F.normalize(pooled, dim=-1).cpu().numpy()
