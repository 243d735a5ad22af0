"""Knowing when nothing matches: a cut-off calibrated per model and library.

Raw cosine scores mean different things per model, per library and per
query (some texts are close to everything). So a hit is judged by how far
it *stands out* above the query's own background: its similarity minus the
query's similarity to the library's mean vector. The thresholds come from
nonsense: 128 made-up strings (fixed seed) searched in this library with
this model.

A query has matches when its best hit stands out more than 95% of the
nonsense queries' best hits do, or, for a query made of real words, more
than half of them do. "Made of real words" is read in the text tower itself:
made-up strings lie close to each other there (the model has no meaning
for any of them), so a query whose five nearest references are farther than
95% of the references are from each other is words. Then each hit is a match
when it stands out more than a quarter of the nonsense best hits. Words
matched in the file's name, folders, tags or what was said are always a
match.

Measured on the dev set (benchmarks/cutoff.py, bundled model): 98% of the
true top-10 hits kept, 94% of nonsense queries answered "no good match".
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import numpy as np

from .engine import Result

SAMPLE = 2000         # library vectors the background is measured over
REFERENCES = 128      # nonsense strings the thresholds are learnt from
GATE_PERCENTILE = 95        # the query's best hit must beat this share of nonsense best hits
WORDS_GATE_PERCENTILE = 50  # ... or this share, for a query made of real words
WORDLIKE_PERCENTILE = 5     # farther from nonsense than this share of nonsense is from itself
HIT_PERCENTILE = 25         # each hit must stand out more than this share of nonsense best hits
NEAREST = 5                 # references a query's gibberishness is read from
REFRESH_SECONDS = 300  # a library being indexed is recalibrated at most this often


def nonsense(n: int = REFERENCES, seed: int = 20261201) -> list[str]:
    """Pronounceable made-up words ("blorf quesk"): not in any language's
    vocabulary, yet tokenised like words, so the model scores them as it
    would a query it has no meaning for."""
    rng = random.Random(seed)
    consonants, vowels = "bcdfghjklmnpqrstvwxz", "aeiou"

    def word() -> str:
        return "".join(rng.choice(consonants) if i % 2 == 0 else rng.choice(vowels)
                       for i in range(rng.randint(3, 7)))
    return [" ".join(word() for _ in range(rng.randint(1, 3))) for _ in range(n)]


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

    def nonsense_nearness(self, vector: np.ndarray) -> float:
        return float(np.sort(self.refs @ vector)[-NEAREST:].mean())

    def background(self, vector: np.ndarray) -> float:
        return float(self.mean @ vector)


@dataclass
class Judgement:
    matched: list[Result]
    weaker: list[Result]
    cutoff: dict


class Cutoff:
    """Per library (one per search service): calibrated lazily, again after
    the library changed (at most every ``REFRESH_SECONDS``)."""

    def __init__(self, library):
        self.lib = library
        self._lock = threading.Lock()
        self._cal: Calibration | None = None

    def calibration(self) -> Calibration | None:
        gen = self.lib.catalog.generation()
        with self._lock:
            cal = self._cal
            if cal is None or (cal.generation != gen and time.time() - cal.made_at > REFRESH_SECONDS):
                self._cal = cal = self._calibrate(gen)
            return cal

    def _calibrate(self, gen: int) -> Calibration | None:
        sample = self.lib.catalog.vector_sample(SAMPLE, self.lib.embedder.dim)
        if len(sample) < 20:  # too small a library to tell a match from noise
            return None
        mean = sample.mean(0)  # the background: mean @ v is the mean similarity over the sample
        refs = self.lib.embedder.embed_texts(nonsense())
        vi = self.lib.vector_index()
        stand_out = []
        for v in refs:
            scores, _ = vi.search(v, 1, None)
            if len(scores):
                stand_out.append(float(scores[0]) - float(mean @ v))
        if not stand_out:
            return None
        near = refs @ refs.T
        np.fill_diagonal(near, -np.inf)  # each reference against the others
        loo = np.sort(near, axis=1)[:, -NEAREST:].mean(1)
        return Calibration(float(np.percentile(stand_out, GATE_PERCENTILE)),
                           float(np.percentile(stand_out, HIT_PERCENTILE)), gen, time.time(),
                           np.asarray(stand_out, np.float32), mean, refs,
                           float(np.percentile(stand_out, WORDS_GATE_PERCENTILE)),
                           float(np.percentile(loo, WORDLIKE_PERCENTILE)))

    def judge(self, results: list[Result], vector: np.ndarray) -> Judgement:
        cal = self.calibration()
        if cal is None:
            return Judgement(results, [], {"applied": False, "reason": "library too small to calibrate"})
        bg = cal.background(vector)
        sims = [r.why.get("similarity", r.score) for r in results]
        best = max(sims, default=-1.0)
        words = cal.nonsense_nearness(vector) < cal.wordlike
        # Strictly above: a model that scores all nonsense alike never passes.
        gate_ok = best - bg > (cal.words_gate if words else cal.gate)
        matched, weaker = [], []
        for r, sim in zip(results, sims):
            r.why["stands_out"] = round(sim - bg, 4)
            ok = r.lexical or (gate_ok and sim - bg > cal.hit)
            (matched if ok else weaker).append(r)
        return Judgement(matched, weaker, {
            "applied": True, "score": round(bg + cal.hit, 4), "gate": round(bg + cal.gate, 4),
            "matched": bool(matched), "held_back": len(weaker), "words": words,
        })
