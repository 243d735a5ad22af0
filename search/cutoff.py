"""Knowing when nothing matches: a cut-off calibrated per model and library.

Raw cosine scores mean different things per model, per library and per
query (some texts are close to everything). So a hit is judged by how far
it *stands out* above the query's own background: its similarity minus the
query's similarity to the library's mean vector (leaning on the model's
prior mean while the library is small, so a library is judged from its
first file where the model has a prior: the bundled one does).

Three ways to judge, by what the query is:
- Made-up strings and codes (a dictionary says so: known_words.py; for
  another language the text tower's own reading: made-up strings lie close
  to each other there) must stand out more than 95% of 128 made-up
  references (fixed seed; one in four a letters-and-digits code) do.
- Words, with a closed-vocabulary model (the bundled one: ImageNet
  classes): the best a picture could score is the query's nearest class.
  Farther than ``COVERED`` from every class, the model has no picture of
  the query (people: ImageNet has no "person"), so the hits are ranked and
  said to be unjudged, never hidden as "no good match". Otherwise the best
  hit must reach ``GATE_RATIO`` of that best above the background, and each
  hit ``HIT_RATIO``: an absent thing the model knows ("a submarine") scores
  well below what a picture of it would.
- Words, with an open-vocabulary model (CLIP): the best hit must stand out
  more than half of the made-up references' best hits.
Words matched in a file's name, folders, tags, what was said or read are
always a match; the picture's score is judged on its own, so one strong word
hit never carries the rest. A hit by a text's vector (read, said, tags) is
judged on the text tower's scale: beyond what every made-up reference
scores against the library's texts; it never opens the gate for pictures.
Figures: README (benchmarks/judge.py).

Kept out of the search path: the calibration is saved in the data dir
(``cutoff.npz``, keyed by the model), so a one-shot ``mediasearch search``
reads it instead of embedding 128 strings, and a recalibration after the
library changed reuses the saved reference vectors (they depend on the
model only): it costs a vector sample and 128 index lookups.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from mediasearch.store.schema import TEXT_SOURCES

from .background import Refresher
from .engine import Result
from .known_words import made_of_words

SAMPLE = 2000         # library vectors the background is measured over
TEXT_SAMPLE = 20000   # text segments (read, said, tags) nonsense is scored against
REFERENCES = 128      # nonsense strings the thresholds are learnt from
GATE_PERCENTILE = 95        # the query's best hit must beat this share of nonsense best hits
WORDS_GATE_PERCENTILE = 50  # ... or this share, for a query made of real words
WORDLIKE_PERCENTILE = 5     # farther from nonsense than this share of nonsense is from itself
HIT_PERCENTILE = 25         # each hit must stand out more than this share of nonsense best hits
NEAREST = 5                 # references a query's gibberishness is read from
REFRESH_SECONDS = 300  # a library being indexed is recalibrated at most this often
SEED = 20261201
FILE = "cutoff.npz"
VERSION = 3          # of the references and the rule (part of the saved calibration's key)
MIN_FILES = 20       # below this, a library's own mean says too little without the model's prior
PRIOR_FILES = 20     # the model's prior mean counts as this many files in the background
# A closed-vocabulary model (the bundled one) judges a query against the
# best a picture could score for it: its nearest concept (class name).
COVERED = 0.45       # nearer than this to some concept: the model can see the query's subject
GATE_RATIO = 0.6     # the best hit must reach this share of that best, above the background
HIT_RATIO = 0.45     # ... and each hit this share

log = logging.getLogger(__name__)


def nonsense(n: int = REFERENCES, seed: int = SEED) -> list[str]:
    """Pronounceable made-up words ("blorf quesk"): not in any language's
    vocabulary, yet tokenised like words, so the model scores them as it
    would a query it has no meaning for; one in four is a code of letters
    and digits ("x7q9 kk2"), which lies nearer numbers seen in pictures."""
    rng = random.Random(seed)
    consonants, vowels = "bcdfghjklmnpqrstvwxz", "aeiou"

    def word() -> str:
        return "".join(rng.choice(consonants) if i % 2 == 0 else rng.choice(vowels)
                       for i in range(rng.randint(3, 7)))

    def code() -> str:
        return "".join(rng.choice(consonants + "0123456789") for _ in range(rng.randint(2, 6)))
    return [" ".join((code if i % 4 == 3 else word)() for _ in range(rng.randint(1, 3))) for i in range(n)]


@dataclass
class Calibration:
    gate: float           # how far the best hit must stand out
    hit: float            # how far each hit must stand out
    generation: int
    made_at: float
    reference: np.ndarray   # how far each nonsense query's best hit stood out
    mean: np.ndarray        # the library's mean vector (the background direction)
    refs: np.ndarray        # the nonsense strings' text vectors
    words_gate: float       # the gate for a query made of real words
    wordlike: float         # nearness to nonsense below which a query is words
    text_gate: float        # what a hit by a text's vector (read, said, tags) must score

    def nonsense_nearness(self, vector: np.ndarray) -> float:
        return float(np.sort(self.refs @ vector)[-NEAREST:].mean())

    def background(self, vector: np.ndarray) -> float:
        return float(self.mean @ vector)


@dataclass
class Judgement:
    matched: list[Result]
    weaker: list[Result]
    cutoff: dict
    text_gate: float | None = None  # what a hit by a text's vector must score (None: no calibration)


class Cutoff:
    """Per library (one per search service): read from the data dir or
    calibrated on first use, again after the library changed (at most every
    ``REFRESH_SECONDS``), and saved."""

    def __init__(self, library, background: bool = False):
        self.lib = library
        self._lock = threading.Lock()
        self._cal: Calibration | None = None
        self._loaded = False
        # A long-lived service recalibrates off the searching thread.
        self.refresher = Refresher("cut-off calibration") if background else None

    def calibration(self) -> Calibration | None:
        gen = self.lib.catalog.generation()
        with self._lock:
            if not self._loaded:
                self._cal, self._loaded = self._read(), True
            cal = self._cal
            stale = cal is not None and cal.generation != gen and time.time() - cal.made_at > REFRESH_SECONDS
            if cal is None or (stale and self.refresher is None):
                self._cal = cal = self._recalibrate(gen, cal)
            elif stale:
                self.refresher.start(lambda: self._refresh(gen, cal))
            return cal

    def _recalibrate(self, gen: int, old: Calibration | None) -> Calibration | None:
        cal = self._calibrate(gen, old.refs if old is not None else None)
        if cal is not None:
            self._write(cal)
        return cal

    def _refresh(self, gen: int, old: Calibration) -> None:
        cal = self._recalibrate(gen, old)
        with self._lock:
            self._cal = cal

    # -- the saved calibration ------------------------------------------------
    def _path(self) -> Path:
        return Path(self.lib.settings.home) / FILE

    def _key(self) -> str:
        """The model and the nonsense: what the saved vectors depend on."""
        ident = json.dumps(self.lib.embedder.identity(), sort_keys=True)
        return hashlib.sha1(f"{ident}|{REFERENCES}|{SEED}|{VERSION}".encode()).hexdigest()

    def _read(self) -> Calibration | None:
        try:
            with np.load(self._path(), allow_pickle=False) as saved:
                if str(saved["key"]) != self._key():
                    return None  # another model's: recalibrated (and overwritten)
                values = {f.name: saved[f.name] for f in fields(Calibration)}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None  # none yet, or damaged: calibrated again
        for name in ("gate", "hit", "made_at", "words_gate", "wordlike", "text_gate"):
            values[name] = float(values[name])
        values["generation"] = int(values["generation"])
        return Calibration(**values)

    def _write(self, cal: Calibration) -> None:
        path = self._path()
        tmp = path.with_name(f".{FILE}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        try:
            np.savez(tmp, key=np.array(self._key()), **asdict(cal))
            os.replace(tmp, path)
        except OSError as e:  # a read-only data dir: calibrated per process, as before
            log.debug("cut-off not saved: %s", e)
            tmp.unlink(missing_ok=True)

    def _calibrate(self, gen: int, refs: np.ndarray | None = None) -> Calibration | None:
        sample = self.lib.catalog.vector_sample(SAMPLE, self.lib.embedder.dim)
        prior = self.lib.embedder.background_prior()
        if not len(sample) or (prior is None and len(sample) < MIN_FILES):
            return None  # too small a library to tell a match from noise
        # The background: mean @ v is the mean similarity over the sample,
        # leaning on the model's prior while the library is small.
        mean = sample.mean(0) if prior is None else (sample.sum(0) + PRIOR_FILES * prior) / (len(sample) + PRIOR_FILES)
        if refs is None or refs.shape != (REFERENCES, self.lib.embedder.dim):
            refs = self.lib.embedder.embed_texts(nonsense())
        best = self.lib.vector_index().best_scores(refs)
        if len(best) != len(refs):
            return None
        stand_out = list(best.astype(np.float64) - refs @ mean)
        near = refs @ refs.T
        np.fill_diagonal(near, -np.inf)  # each reference against the others
        loo = np.sort(near, axis=1)[:, -NEAREST:].mean(1)
        return Calibration(float(np.percentile(stand_out, GATE_PERCENTILE)),
                           float(np.percentile(stand_out, HIT_PERCENTILE)), gen, time.time(),
                           np.asarray(stand_out, np.float32), mean, refs,
                           float(np.percentile(stand_out, WORDS_GATE_PERCENTILE)),
                           float(np.percentile(loo, WORDLIKE_PERCENTILE)), self._text_gate(refs))

    def _text_gate(self, refs: np.ndarray) -> float:
        """A text read in a picture or said scores a text query on the text
        tower's own scale (two unrelated short texts 0.3, above any
        picture): such a hit must beat what nonsense scores against those
        texts ("1001773457" against a receipt's "13406" was a "match")."""
        texts = self.lib.catalog.vector_sample(TEXT_SAMPLE, self.lib.embedder.dim, texts_only=True)
        if not len(texts):
            return 1.0
        return float((refs @ texts.T).max())  # beyond every reference: a code scores near codes read

    def judge(self, results: list[Result], vector: np.ndarray, text: str | None = None) -> Judgement:
        """Matches and weaker hits of a text query (``text``: what is left to
        match by meaning). Words found in a file's name, tags, what was said or
        read are always a match; every other hit is judged by its picture."""
        cal = self.calibration()
        if cal is None:
            return Judgement(results, [], {"applied": False, "reason": "library too small to calibrate"})
        bg = cal.background(vector)
        sims = [r.why.get("similarity", r.score) for r in results]
        for r, sim in zip(results, sims):
            r.why["stands_out"] = round(sim - bg, 4)
        words = made_of_words(text) if text else None
        if words is None:  # another language, or no dictionary: the text tower's own reading
            words = cal.nonsense_nearness(vector) < cal.wordlike
        concepts = self.lib.embedder.concepts() if words else None
        if concepts is not None:
            ideal = float((concepts @ vector).max())
            if ideal < COVERED:  # the model has no picture of it: ranked, not judged
                return Judgement(results, [], {"applied": False, "reason": "uncovered", "words": True,
                                               "note": uncovered_note(text)}, cal.text_gate)
            scale = max(ideal - bg, 1e-3)
            gate, hit = bg + GATE_RATIO * scale, bg + HIT_RATIO * scale
        else:
            gate, hit = bg + (cal.words_gate if words else cal.gate), bg + cal.hit
        # Strictly above: a model that scores all nonsense alike never passes.
        # Pictures open the gate for pictures only (a receipt's text scores a
        # code higher than any picture could).
        gate_ok = max((s for r, s in zip(results, sims) if r.source not in TEXT_SOURCES), default=-1.0) > gate
        matched, weaker = [], []
        for r, sim in zip(results, sims):
            by_text = r.source in TEXT_SOURCES
            ok = sim > cal.text_gate if by_text else gate_ok and sim > hit
            (matched if r.lexical or ok else weaker).append(r)
        return Judgement(matched, weaker, {
            "applied": True, "score": round(hit, 4), "gate": round(gate, 4),
            "matched": bool(matched), "held_back": len(weaker), "words": words,
        }, cal.text_gate)


def uncovered_note(text: str | None) -> str:
    what = f"“{text}”" if text else "this"
    return (f"the offline model has no picture of {what}: results are ranked by likeness, "
            "not judged (a CLIP model knows people and much more)")
