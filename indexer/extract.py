"""Turn one media file into the items to embed (images and texts with time
ranges). One extractor per kind: image, video, audio."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mediasearch.store.catalog import NewSegment
from mediasearch.store.db import name_words
from mediasearch.store.errors import MediaDecodeError, ModelUnavailableError
from mediasearch.store.schema import (
    SOURCE_FRAME,
    SOURCE_IMAGE,
    SOURCE_METADATA,
    SOURCE_OCR,
    SOURCE_SOUND,
    SOURCE_TRANSCRIPT,
)
from mediasearch.store.settings import Settings

from . import clap, ocr, sounds
from .embedders import Embedder
from .media.images import load_image
from .media.keyframes import keyframe_path, save_keyframe  # noqa: F401 (keyframe_path: for captioning)
from .media.signature import signature
from .places import place_name
from .places import valid as valid_position
from .speech import Transcriber

OCR_FRAME_SIDE = 960  # video frames kept this large for reading words on screen


@dataclass
class Item:
    source: str
    t_start: float | None = None
    t_end: float | None = None
    image: Any = None                 # prepared by the embedder (prepare_image)
    text: str | None = None           # embedded with the text tower
    vector: np.ndarray | None = None  # already embedded (video frames, streamed)
    spans: str | None = None          # a transcript window's sentences (JSON)


@dataclass
class Extracted:
    kind: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    taken_at: float | None = None
    items: list[Item] = field(default_factory=list)
    position: tuple[float, float] | None = None  # GPS (lat, lon)
    signature: bytes | None = None  # perceptual, for near-duplicates (pictures)
    ocr: str | None = None  # ocr.READ / ocr.FAILED once its pixels were looked at for words
    sounds: str | None = None  # sounds.HEARD once its sound was listened to for events
    note: str | None = None  # a non-fatal problem (e.g. transcription unavailable)


@dataclass
class Context:
    settings: Settings
    embedder: Embedder
    transcriber: Transcriber | None
    keyframe_dir: Path | None = None  # where this file's keyframe thumbnails go


Extractor = Callable[[Path, bytes, Context], Extracted]


def extract_image(path: Path, head: bytes, ctx: Context) -> Extracted:
    """The first pass over a picture: what makes it searchable by picture
    (vector, date, place, signature). Its words are read in the second pass
    (catchup.py), so a library full of text never holds the model back."""
    loaded = load_image(path, ctx.settings.max_image_pixels, head=head, max_side=512)  # the model's size
    # The place name rides on the picture's segment as words (found by word
    # search); the vector stays the picture's own.
    place = place_name(*loaded.gps) if loaded.gps else None
    item = Item(SOURCE_IMAGE, image=ctx.embedder.prepare_image(loaded.image), text=place)
    return Extracted("image", loaded.width, loaded.height, None, loaded.taken_at, [item],
                     signature=signature(loaded.image),
                     position=tuple(loaded.gps) if loaded.gps and valid_position(*loaded.gps) else None)


def picture_text(path, look, settings: Settings, out: Extracted) -> list[Item]:
    """The words in a picture: ``look`` (decoded at ocr.LOOK_SIDE) for the
    quick look, the file decoded again at ocr.MAX_SIDE only when the look
    sees text (indexing and the OCR catch-up alike)."""
    item = read_text(look, settings.ocr, out, full=lambda: load_image(
        path, settings.max_image_pixels, max_side=ocr.MAX_SIDE).image)
    return [item] if item is not None else []


def embed_items(embedder: Embedder, items: list[Item]) -> list[NewSegment]:
    """Segments for ``items``, in order: pictures through the image tower,
    texts through the text tower (scaled to sit beside pictures), vectors
    that came ready (video frames) kept; one batched call per tower."""
    todo = [it for it in items if it.vector is None]
    images = [it.image for it in todo if it.image is not None]
    texts = [it.text for it in todo if it.image is None]
    ivecs = iter(embedder.embed_prepared(images)) if images else iter(())
    tvecs = iter(embedder.embed_texts(texts) * embedder.text_segment_scale) if texts else iter(())
    return [NewSegment(it.vector if it.vector is not None else next(ivecs) if it.image is not None else next(tvecs),
                       it.source, it.t_start, it.t_end, it.text, it.spans) for it in items]


def read_text(image, setting: str, out: Extracted, t_start: float | None = None,
              t_end: float | None = None, full=None) -> Item | None:
    """The words in a picture (or a video moment), as a segment of their own
    (word index and text tower); a failure is a note on the file, never a stop."""
    reader = ocr.reader(setting)
    if reader is None:
        return None
    try:
        reading = reader.read(image, full)
    except Exception as e:  # ONNX Runtime and OpenCV errors are not ours to type
        out.note = f"text in the picture not read: {type(e).__name__}: {e}"
        out.ocr = ocr.FAILED
        return None
    out.ocr = out.ocr or ocr.READ
    if not reading.lines:
        return None
    return Item(SOURCE_OCR, t_start, t_end, text=reading.text, spans=ocr.spans(reading.lines))


def moment_words(shot, setting: str, out: Extracted, words: list[Item]) -> None:
    """The words on screen in one moment; a slide that stays up across
    moments is one segment spanning them."""
    item = read_text(shot.image, setting, out, round(shot.t_start, 3), round(shot.t_end, 3))
    if item is None:
        return
    if words and words[-1].text == item.text:
        words[-1].t_end = item.t_end
    else:
        words.append(item)


def _metadata_text(path: Path, tags: dict[str, str]) -> str:
    stem = name_words(path.stem)
    parts = [tags[k] for k in ("title", "artist", "album", "comment", "description") if k in tags]
    return " - ".join(dict.fromkeys([*parts, stem]))


def _soundtrack_items(path: Path, ctx: Context, out: Extracted, tags: dict[str, str] | None = None,
                      samples: np.ndarray | None = None) -> None:
    """What a recording or a video's soundtrack holds: its sound events
    (music, singing, speech) and what was said."""
    from .media.audio import read_audio

    s = ctx.settings
    detector = sounds.detector(s.audio_events)
    transcribe = ctx.transcriber is not None and s.transcribe
    try:
        clap_source = clap.find(s.clap_model)
    except ModelUnavailableError as e:  # a CLAP asked for and not there: said on every file it would hear
        out.note, clap_source = f"sounds not tagged with CLAP: {e}", None
    if samples is None:
        if detector is None and not transcribe and clap_source is None:
            return
        samples, tags2 = read_audio(path, s.max_audio_seconds)
        tags = tags if tags is not None else tags2
    events = sound_items(path, detector, samples, tags or {}, out) if detector is not None else None
    if clap_source is not None:
        _clap_items(path, clap_source, ctx, samples, tags or {}, out)
    # Nothing said or sung: Whisper would only invent sentences over the music or noise.
    if transcribe and (events is None or sounds.has_voice(events)):
        _transcript_items(ctx, out, samples)


def sound_items(path: Path, detector, samples: np.ndarray, tags: dict[str, str],
                 out: Extracted) -> list | None:
    """One segment per sound event: its label with the tags and name ("music
    - Summer mix"), so the text tower and the word index both know it."""
    try:
        events = detector.detect(samples)
    except Exception as e:  # the detector's native library: this file's sounds are lost, never silently
        out.note = f"sounds not detected: {type(e).__name__}: {e}"
        return None
    out.sounds = sounds.HEARD
    name = _metadata_text(path, tags)
    out.items += [Item(SOURCE_SOUND, round(e.start, 3), round(e.end, 3), text=f"{e.label} - {name}")
                  for e in events]
    return events


def _clap_items(path: Path, source: str, ctx: Context, samples: np.ndarray, tags: dict[str, str],
                out: Extracted) -> None:
    """CLAP's sound names per 10-s window (weights at ``source``), bridged into the shared space."""
    try:
        tagger = clap.tagger(source, ctx.embedder)
        heard = tagger.hear(samples)
    except ModelUnavailableError as e:
        out.note = f"sounds not tagged with CLAP: {e}"
        return
    except Exception as e:  # a model or decoder failure: this file's tags are lost, never silently
        out.note = f"sounds not tagged with CLAP: {type(e).__name__}: {e}"
        return
    name = _metadata_text(path, tags)
    out.items += [Item(SOURCE_SOUND, round(a, 3), round(b, 3), vector=v,
                       text=f"sounds like {', '.join(n.lower() for n in names)} - {name}") for a, b, v, names in heard]


def _transcript_items(ctx: Context, out: Extracted, samples: np.ndarray) -> None:
    s = ctx.settings
    try:
        windows = ctx.transcriber.transcribe(samples, s.transcript_window)
    except ModelUnavailableError as e:
        out.note = f"speech not transcribed: {e}"
        return
    except Exception as e:  # a broken decoder or model: this file's speech is lost, never silently
        out.note = f"speech not transcribed: {type(e).__name__}: {e}"
        return
    for w in windows:
        spans = json.dumps([[round(a, 3), round(b, 3), t] for a, b, t in w.sentences], ensure_ascii=False)
        out.items.append(Item(SOURCE_TRANSCRIPT, w.start, w.end, text=w.text, spans=spans))


def extract_audio(path: Path, head: bytes, ctx: Context) -> Extracted:
    from .media.audio import RATE, read_audio

    samples, tags = read_audio(path, ctx.settings.max_audio_seconds)
    if samples.size == 0:
        raise MediaDecodeError("the audio has no decodable samples")
    out = Extracted("audio", duration=round(samples.size / RATE, 3))
    # Tags and the file name make music and sounds findable without speech.
    out.items.append(Item(SOURCE_METADATA, 0.0, out.duration, text=_metadata_text(path, tags)))
    _soundtrack_items(path, ctx, out, tags, samples)
    return out


def extract_video(path: Path, head: bytes, ctx: Context) -> Extracted:
    from .media.video import group_shots, probe, sample_frames

    s, emb = ctx.settings, ctx.embedder
    try:
        facts = probe(path)
    except MediaDecodeError as e:
        # An MP4/Matroska container holding only sound is an audio file.
        if "no video stream" in str(e):
            try:
                return extract_audio(path, head, ctx)
            except MediaDecodeError as audio_error:
                if "no audio stream" in str(audio_error):  # a container with neither
                    raise MediaDecodeError("no video or audio stream in the file") from audio_error
                raise
        raise
    place = place_name(*facts.location) if facts.location else None
    out = Extracted("video", facts.width, facts.height, facts.duration, facts.taken_at,
                    position=tuple(facts.location) if facts.location and valid_position(*facts.location) else None)
    # Words on screen are read in the second pass (catchup.py), at OCR_FRAME_SIDE.
    shots = group_shots(sample_frames(path, s.video_interval, s.scene_threshold, max_side=448), facts.duration)
    pending: list = []

    def flush() -> None:
        # Frames are embedded here, in bounded batches, so a long video never
        # holds more than one batch of pictures in memory.
        if not pending:
            return
        vecs = emb.embed_prepared([emb.prepare_image(sh.image) for sh in pending])
        for sh, v in zip(pending, vecs):
            out.items.append(Item(SOURCE_FRAME, round(sh.t_start, 3), round(sh.t_end, 3), vector=v, text=place))
            if ctx.keyframe_dir is not None:
                save_keyframe(sh.image, ctx.keyframe_dir / f"{int(round(sh.t_start * 1000))}.jpg")
        pending.clear()

    for shot in shots:
        pending.append(shot)
        if len(pending) >= emb.batch_size:
            flush()
    flush()
    if not out.items:
        raise MediaDecodeError("the video has no decodable frames")
    if not facts.has_audio and sounds.detector(s.audio_events) is not None:
        out.sounds = sounds.HEARD  # silent: nothing to hear, nothing owed
    if facts.has_audio:
        try:
            _soundtrack_items(path, ctx, out)
        except MediaDecodeError as e:  # a broken soundtrack does not lose the pictures
            out.note = f"soundtrack not read: {e}"
    return out




EXTRACTORS: dict[str, Extractor] = {"image": extract_image, "video": extract_video, "audio": extract_audio}
