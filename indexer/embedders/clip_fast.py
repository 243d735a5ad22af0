"""An open_clip model started on its verified ONNX export without importing
open_clip: the import alone took 6.5 s here (torch, torchvision, timm, the
CoCa model), against rclip's 3-s start. What such a start needs of
open_clip is two small things, rebuilt here from what the export recorded:
- the picture preprocessing (resize the short side, centre crop, scale,
  normalise: torchvision's own arithmetic on PIL, redone with PIL and NumPy);
- the CLIP BPE tokenizer: the published algorithm over the merge table
  open_clip ships (its own module imports torch: 2.6 s more).
Each is used only after it gave the same numbers as open_clip on probe
pictures and texts when the export was verified (``agrees``); a model whose
preprocessing or tokenizer is anything else starts through open_clip.
"""
from __future__ import annotations

import gzip
import html
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

_RESAMPLE = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}
# Bumped whenever Preprocess or ClipTokenizer change what they compute: part
# of the key under which a verified export remembers them (onnx_towers._alias),
# so a changed rebuild is checked against open_clip again, never trusted on an
# old verdict.
VERSION = 2


class Preprocess:
    """open_clip's inference transform for resize modes "shortest" (square
    crops) and "squash"; CHW float32 arrays out."""

    def __init__(self, cfg: dict):
        size = cfg["size"]
        self.h, self.w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        self.mode = cfg.get("resize_mode") or "shortest"
        self.resample = _RESAMPLE[cfg.get("interpolation") or "bicubic"]
        if self.mode not in ("shortest", "squash") or (self.mode == "shortest" and self.h != self.w):
            raise ValueError(f"preprocessing {self.mode} {self.h}x{self.w} is left to open_clip")
        self.mean = np.asarray(cfg["mean"], np.float32).reshape(1, 1, 3)
        self.std = np.asarray(cfg["std"], np.float32).reshape(1, 1, 3)

    def __call__(self, image: Image.Image) -> np.ndarray:
        im = image.convert("RGB")
        if self.mode == "squash":
            im = im.resize((self.w, self.h), self.resample)
        else:  # torchvision Resize(int): the short side to size, the long one truncated
            w, h = im.size
            side = self.h
            new = (side, int(side * h / w)) if w <= h else (int(side * w / h), side)
            im = im.resize(new, self.resample)
            top, left = int(round((new[1] - side) / 2.0)), int(round((new[0] - side) / 2.0))
            im = im.crop((left, top, left + side, top + side))
        x = np.asarray(im, np.float32) / np.float32(255.0)
        return np.ascontiguousarray(((x - self.mean) / self.std).transpose(2, 0, 1))


def _open_clip_file(name: str) -> Path:
    spec = importlib.util.find_spec("open_clip")  # finds the package; runs none of it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("open_clip is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / name


def _byte_letters() -> dict[int, str]:
    """CLIP's reversible map of the 256 byte values to printable letters."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    extra = [b for b in range(256) if b not in keep]
    return {**{b: chr(b) for b in keep}, **{b: chr(256 + i) for i, b in enumerate(extra)}}


class ClipTokenizer:
    """CLIP's byte-level BPE (the algorithm of Radford et al.'s tokenizer:
    clean, lower-case, split into words, byte letters, merge the
    lowest-ranked pair until none is left, "</w>" closing each word), over
    the merge table open_clip ships. Token ids in int64 rows of
    ``context_length``, like open_clip's; pure Python and NumPy."""

    MERGES = 49152 - 256 - 2

    def __init__(self, context_length: int):
        import ftfy  # open_clip's own dependencies, fast to import
        import regex

        self._fix = ftfy.fix_text
        with gzip.open(_open_clip_file("bpe_simple_vocab_16e6.txt.gz"), "rt", encoding="utf-8") as f:
            merges = [tuple(line.split()) for line in f.read().split("\n")[1:self.MERGES + 1]]
        letters = list(_byte_letters().values())
        vocab = letters + [v + "</w>" for v in letters] + ["".join(m) for m in merges]
        vocab += ["<start_of_text>", "<end_of_text>"]
        self.ids = {v: i for i, v in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.bytes = _byte_letters()
        self.sot, self.eot = self.ids["<start_of_text>"], self.ids["<end_of_text>"]
        self.words = regex.compile(r"""<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|"""
                                   r"""[^\s\p{L}\p{N}]+""", regex.IGNORECASE)
        self.context_length = context_length
        self._cache: dict[str, list[int]] = {}

    def _bpe(self, word: str) -> list[int]:
        got = self._cache.get(word)
        if got is not None:
            return got
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            pairs = {(a, b) for a, b in zip(parts, parts[1:])}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        got = self._cache[word] = [self.ids[p] for p in parts]
        return got

    def encode(self, text: str) -> list[int]:
        text = html.unescape(html.unescape(self._fix(text))).strip()
        text = " ".join(text.split()).lower()
        out: list[int] = []
        for word in self.words.findall(text):
            out += self._bpe("".join(self.bytes[b] for b in word.encode("utf-8")))
        return out

    def __call__(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self.context_length), np.int64)
        for r, text in enumerate(texts):
            ids = [self.sot, *self.encode(text), self.eot][:self.context_length]
            ids[-1] = self.eot
            rows[r, :len(ids)] = ids
        return rows


def simple_tokenizer(context_length: int) -> ClipTokenizer:
    return ClipTokenizer(context_length)


def standalone(tokenizer) -> dict | None:
    """What a start without open_clip needs to rebuild ``tokenizer``, or None."""
    if type(tokenizer).__name__ != "SimpleTokenizer" or tokenizer.reduction_fn is not None:
        return None
    return {"context_length": int(tokenizer.context_length)}


def agrees(preprocess, tokenizer, cfg: dict, tok: dict | None) -> bool:
    """Both rebuilt pieces give open_clip's numbers on probes (checked once,
    when the export is verified)."""
    if tok is None:
        return False
    try:
        ours = Preprocess(cfg)
        rng = np.random.default_rng(0)
        for w, h in ((640, 480), (300, 500), (224, 224), (1001, 333)):
            im = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
            if np.abs(ours(im) - np.asarray(preprocess(im))).max() > 1e-5:
                return False
        texts = ["a photo of a dog", "Two people on a BEACH at sunset!", "café 東京 🙂", ""]
        return bool((simple_tokenizer(tok["context_length"])(texts) == np.asarray(tokenizer(texts))).all())
    except Exception:  # anything unusual: the start goes through open_clip
        return False
