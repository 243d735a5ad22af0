"""The OCR catch-up job: files indexed before OCR was on (or before it
existed) gain the words in their pixels, without their pictures being
embedded again. ``mediasearch index`` (and the daemon) run it after their
own work, a batch at a time, so a stop loses at most one batch; it goes on
where it stopped."""
from __future__ import annotations

import logging
from collections.abc import Callable

from mediasearch.store.catalog import Addition, Batch, NewSegment
from mediasearch.store.errors import MediaDecodeError

from . import ocr
from .extract import OCR_FRAME_SIDE, Extracted, Item, moment_words, read_text
from .media.images import load_image
from .report import IndexReport, Progress

log = logging.getLogger(__name__)

BATCH = 16  # files read per commit


class OcrCatchUp:
    def __init__(self, lib, progress: Callable[[Progress], None], should_stop: Callable[[], bool],
                 phase: Callable[[str], None]):
        self.lib, self.settings, self.catalog = lib, lib.settings, lib.catalog
        self.progress, self.should_stop, self.phase = progress, should_stop, phase

    def run(self, report: IndexReport) -> None:
        if ocr.reader(self.settings.ocr) is None:
            return
        todo = self.catalog.unread_for_words()
        if not todo:
            return
        self.phase(f"reading words in {len(todo)} files indexed before (OCR catch-up; "
                   "their pictures are not embedded again)")
        done = 0
        for start in range(0, len(todo), BATCH):
            batch = Batch()
            for media_id, path, kind, content_hash in todo[start:start + BATCH]:
                items, state = self._read(path, kind)
                batch.additions.append(Addition(media_id, content_hash, self._embedded(items), state))
                report.words_caught_up += 1
                done += 1
                self.progress(Progress(done, len(todo), path, stage="reading words"))
                if self.should_stop():
                    report.interrupted = True
                    break
            self.lib.follow(self.catalog.apply(batch))
            if report.interrupted:
                return

    def _read(self, path: str, kind: str) -> tuple[list[Item], str]:
        """The words in one file and what reading found; a file that cannot
        be read now is marked failed (its next change reads it again)."""
        out = Extracted(kind)
        s = self.settings
        try:
            if kind == "image":
                loaded = load_image(path, s.max_image_pixels, max_side=ocr.LOOK_SIDE)
                item = read_text(loaded.image, s.ocr, out, full=lambda: load_image(
                    path, s.max_image_pixels, max_side=ocr.MAX_SIDE).image)
                words = [item] if item is not None else []
            else:
                from .media.video import group_shots, probe, sample_frames

                duration = probe(path).duration
                words: list[Item] = []
                for shot in group_shots(sample_frames(path, s.video_interval, s.scene_threshold,
                                                      max_side=OCR_FRAME_SIDE), duration):
                    moment_words(shot, s.ocr, out, words)
        except (MediaDecodeError, OSError) as e:
            log.info("OCR catch-up: %s not read: %s", path, e)
            return [], ocr.FAILED
        return words, out.ocr or ocr.FAILED

    def _embedded(self, items: list[Item]) -> list[NewSegment]:
        if not items:
            return []
        emb = self.lib.embedder
        vecs = emb.embed_texts([it.text for it in items]) * emb.text_segment_scale
        return [NewSegment(v, it.source, it.t_start, it.t_end, it.text, it.spans) for it, v in zip(items, vecs)]
