"""Word error rate of the bundled Whisper tiny.en on espeak-ng sentences,
with the transcription options the product uses against faster-whisper's
plain defaults (issue 14.7: tiny models loop and garble).

    python benchmarks/speech_wer.py

Prints JSON. Needs espeak-ng.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from _common import emit

from mediasearch.indexer.media.audio import read_audio
from mediasearch.indexer.speech import Transcriber

SENTENCES = [
    "Remember to buy fresh bread and olive oil tomorrow morning.",
    "The train to Lisbon leaves at half past seven from platform four.",
    "This is how you teach a puppy to sit and stay.",
    "Call the plumber about the leaking kitchen tap before Friday.",
    "We walked along the beach until the sun went down.",
    "The meeting with the bank has moved to next Tuesday afternoon.",
    "Please water the tomatoes and feed the cat while we are away.",
    "Happy birthday to you, we hope you have a wonderful day.",
    "Kilometres per hour is the unit on the speed sign.",
    "The museum is closed on Mondays but open late on Thursdays.",
]


def words(t: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", t.lower())


def wer(ref: list[str], hyp: list[str]) -> float:
    d = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, 1):
        prev, d[0] = d.copy(), i
        for j, h in enumerate(hyp, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return d[len(hyp)] / max(1, len(ref))


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    clips = []
    for i, s in enumerate(SENTENCES):
        wav = tmp / f"{i}.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), s], check=True, capture_output=True)
        clips.append(read_audio(wav)[0])
    t = Transcriber()
    model = t._model.get()
    out = {}
    for name, opts in (("faster-whisper defaults", {}),
                       ("before (condition_on_previous_text off only)", {"condition_on_previous_text": False}),
                       ("product options", {"condition_on_previous_text": False, "no_repeat_ngram_size": 3,
                                            "compression_ratio_threshold": 2.4, "log_prob_threshold": -1.0})):
        errs, loops = [], 0
        for ref, samples in zip(SENTENCES, clips):
            segs, _ = model.transcribe(samples, language="en", vad_filter=True, beam_size=1, **opts)
            hyp = words(" ".join(s.text for s in segs))
            errs.append(wer(words(ref), hyp))
            loops += len(hyp) > 1.5 * len(words(ref))
        out[name] = {"wer": round(float(np.mean(errs)), 3), "runaway_outputs": loops}
    emit({"benchmark": "speech_wer", "model": "whisper tiny.en (bundled)", "sentences": len(SENTENCES), **out})


if __name__ == "__main__":
    main()
