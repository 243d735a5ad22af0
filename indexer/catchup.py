"""The second pass. The first (pipeline.py) makes every file searchable by
picture: vectors, dates, places, names, committed batch by batch. This one
reads the words in pixels (OCR: pictures and video frames), hears the sound
events of recordings indexed before that stage existed, and finds faces
(faces_stage.py): the slow readers never hold the model back, and files
indexed before a stage existed (or while it was off) catch up the same way,
without their pictures being embedded again. ``mediasearch index`` (and the
daemon) run it after the first pass, a batch at a time, so a stop loses at
most one batch; the next run goes on where it stopped. Which files still owe
a stage is a column of theirs (media.ocr, media.sounds, media.faces: NULL
until done)."""
from __future__ import annotations

import logging
from collections.abc import Callable

from mediasearch.store.catalog import Addition, Batch
from mediasearch.store.errors import MediaDecodeError

from . import faces, faces_stage, ocr, sounds
from .extract import OCR_FRAME_SIDE, Extracted, Item, embed_items, moment_words, picture_text, sound_items
from .media.images import load_image
from .report import IndexReport, Progress

log = logging.getLogger(__name__)

BATCH = 16  # files per commit


class CatchUp:
    def __init__(self, lib, progress: Callable[[Progress], None], should_stop: Callable[[], bool],
                 phase: Callable[[str], None]):
        self.lib, self.settings, self.catalog = lib, lib.settings, lib.catalog
        self.progress, self.should_stop, self.phase = progress, should_stop, phase

    def run(self, report: IndexReport) -> None:
        s = self.settings
        if ocr.reader(s.ocr) is not None:
            report.words_read += self._stage(
                "ocr", ("image", "video"), self._words, report, "reading words",
                "second pass: reading words in {n} pictures and videos (already searchable by picture)")
        if not report.interrupted and sounds.detector(s.audio_events) is not None:
            report.sounds_caught_up += self._stage(
                "sounds", ("audio", "video"), self._sounds, report, "hearing sounds",
                "hearing sounds in {n} recordings and videos indexed before (sound events catch-up)")
        if not report.interrupted and faces.available(s.faces):
            faces_stage.run(self.lib, report, self.progress, self.should_stop, self.phase)

    def _stage(self, column: str, kinds: tuple[str, ...], read, report: IndexReport, stage: str,
               message: str) -> int:
        todo = self.catalog.owing(column, kinds)
        if not todo:
            return 0
        self.phase(message.format(n=len(todo)))
        done = 0
        for start in range(0, len(todo), BATCH):
            batch = Batch()
            for media_id, path, kind, content_hash in todo[start:start + BATCH]:
                items, state = read(path, kind)
                batch.additions.append(Addition(media_id, content_hash, embed_items(self.lib.embedder, items),
                                                state, column))
                done += 1
                self.progress(Progress(done, len(todo), path, stage=stage))
                if self.should_stop():
                    report.interrupted = True
                    break
            self.lib.follow(self.catalog.apply(batch))
            if report.interrupted:
                break
        return done

    def _words(self, path: str, kind: str) -> tuple[list[Item], str]:
        """The words in one file and what reading found; a file that cannot
        be read now is marked failed (its next change reads it again)."""
        out = Extracted(kind)
        s = self.settings
        try:
            if kind == "image":
                look = load_image(path, s.max_image_pixels, max_side=ocr.LOOK_SIDE).image
                words = picture_text(path, look, s, out)
            else:
                from .media.video import group_shots, probe, sample_frames

                duration = probe(path).duration
                words: list[Item] = []
                for shot in group_shots(sample_frames(path, s.video_interval, s.scene_threshold,
                                                      max_side=OCR_FRAME_SIDE), duration):
                    moment_words(shot, s.ocr, out, words)
        except (MediaDecodeError, OSError) as e:
            log.info("words: %s not read: %s", path, e)
            return [], ocr.FAILED
        return words, out.ocr or ocr.FAILED

    def _sounds(self, path: str, kind: str) -> tuple[list[Item], str]:
        """The sound events of one recording or soundtrack."""
        from pathlib import Path

        from .media.audio import read_audio

        out = Extracted(kind)
        try:
            samples, tags = read_audio(Path(path), self.settings.max_audio_seconds)
        except MediaDecodeError as e:
            if "no audio stream" in str(e):  # a silent video: nothing to hear, nothing owed
                return [], sounds.HEARD
            log.info("sound catch-up: %s not read: %s", path, e)
            return [], sounds.FAILED
        except OSError as e:
            log.info("sound catch-up: %s not read: %s", path, e)
            return [], sounds.FAILED
        events = sound_items(Path(path), sounds.detector(self.settings.audio_events), samples, tags, out)
        return out.items, sounds.HEARD if events is not None else sounds.FAILED
