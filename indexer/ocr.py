"""Words in pictures (screenshots, receipts, signs, slides, plates), read by
RapidOCR: PP-OCR detection, angle classification and recognition (English
and Chinese) on ONNX Runtime, with the models inside the PyPI wheel
``rapidocr-onnxruntime`` (Apache-2.0). Offline.

``MEDIASEARCH_OCR``: ``off`` (default for now: reading cost ~370 ms a photo
on 2 cores for a set of 15 dev photos, 35 ms for another 20 without any text
region, against ~100 ms for embedding), ``auto`` reads pictures when the
package is installed, ``on`` requires it. The text becomes a segment of the picture (source
``ocr``): in the word index, embedded with the text tower, with its boxes
and confidences as JSON spans. EXIF-rotated pictures are read upright (the
loader transposes them) and upside-down text by the angle classifier. A
failure is a note on the file, never a stop.
"""
from __future__ import annotations

import json
import logging
import threading

import numpy as np
from PIL import Image

from mediasearch.store.errors import ConfigError, ModelUnavailableError

log = logging.getLogger(__name__)

MAX_SIDE = 2048      # huge pictures are read downscaled
MIN_CONFIDENCE = 0.5
_lock = threading.Lock()
_readers: dict[str, "OcrReader | None"] = {}


class OcrReader:
    def __init__(self):
        from rapidocr_onnxruntime import RapidOCR

        self._engine = RapidOCR()
        self._lock = threading.Lock()  # one ONNX session; calls take turns

    def read(self, image: Image.Image) -> list[tuple[list, str, float]]:
        """(box, text, confidence) of each line read, top to bottom."""
        image = image.convert("RGB")
        if max(image.size) > MAX_SIDE:
            image = image.copy()
            image.thumbnail((MAX_SIDE, MAX_SIDE))
        with self._lock:
            found, _ = self._engine(np.asarray(image))
        lines = [(box, text.strip(), float(conf)) for box, text, conf in found or []
                 if text.strip() and float(conf) >= MIN_CONFIDENCE]
        return sorted(lines, key=lambda line: (min(p[1] for p in line[0]), min(p[0] for p in line[0])))


def reader(setting: str) -> OcrReader | None:
    """The shared reader for ``MEDIASEARCH_OCR`` (None: OCR is off here)."""
    if setting not in ("auto", "on", "off"):
        raise ConfigError(f"MEDIASEARCH_OCR: use auto, on or off (not {setting!r})")
    if setting == "off":
        return None
    with _lock:
        if setting not in _readers:
            try:
                _readers[setting] = OcrReader()
            except ImportError as e:
                if setting == "on":
                    raise ModelUnavailableError("MEDIASEARCH_OCR=on needs the package rapidocr-onnxruntime "
                                                "(pip install rapidocr-onnxruntime)") from e
                log.info("no OCR: rapidocr-onnxruntime is not installed")
                _readers[setting] = None
        return _readers[setting]


def spans(lines: list[tuple[list, str, float]]) -> str:
    return json.dumps([{"box": [[round(x), round(y)] for x, y in box], "text": text, "confidence": round(c, 3)}
                       for box, text, c in lines])
