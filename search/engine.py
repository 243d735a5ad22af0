"""The search engine: query terms -> one vector -> FAISS -> catalog rows ->
results grouped by file (a video's score is its best moment's)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from mediasearch.indexer.embedders.base import l2_normalize
from mediasearch.indexer.library import Library
from mediasearch.indexer.media.audio import read_audio
from mediasearch.indexer.media.detect import detect
from mediasearch.indexer.media.images import load_image
from mediasearch.indexer.media.video import query_frames
from mediasearch.indexer.speech import Transcriber
from mediasearch.store.errors import MediaDecodeError, QueryError

from .query import Query, Term, positive_text


@dataclass
class Moment:
    start: float | None
    end: float | None
    score: float
    source: str
    text: str | None = None


@dataclass
class Result:
    media_id: int
    path: str
    kind: str
    score: float
    start: float | None = None   # the best moment (None for a still image)
    end: float | None = None
    text: str | None = None      # transcript/caption of the best moment
    moments: list[Moment] = field(default_factory=list)
    lexical: bool = False        # also matched by words (name, folder, tags, transcript, caption)
    segment_id: int | None = None  # the best-matching segment
    caption: str | None = None     # set when reranked with captions
    rerank_score: float | None = None
    taken_at: float | None = None      # when it was taken (EXIF / container), unix time
    source: str | None = None          # what the scoring segment is (image, frame, transcript, metadata)
    # Where the words matched when they did (name, folder, tags, transcript):
    # {"text", "start", "end", "source"}; the moment above stays the scoring one.
    words: dict | None = None
    # The parts of a fused score: {"picture": cosine, "words_rank": n, ...}.
    why: dict = field(default_factory=dict)
    spans: str | None = None  # a transcript window's sentences (JSON), to narrow the moment
    match: bool | None = None  # above the calibrated cut-off (None: not judged)
    people: list[str] = field(default_factory=list)  # the named people whose faces are in it
    when: float | None = None  # when it was taken (EXIF, else mtime): set where answers are ordered by date

    def to_dict(self) -> dict:
        return asdict(self)


FUSION_DEPTH = 100  # candidates taken from each ranking before fusing
POST_FILTER_WIDEN = 8  # a filtered search first looks this much deeper unfiltered (engine.search_vector)
RRF_K = 60           # reciprocal rank fusion constant (Cormack et al., 2009)


def fuse(dense: list[Result], lexical: list[Result], limit: int) -> list[Result]:
    """Reciprocal rank fusion of the vector and the full-text rankings. The
    score shown is the fused one the list is sorted by (1.0: first in both
    rankings); ``why`` keeps the parts. Each hit keeps the moment, text and
    source of the segment that scored; where the words matched goes to
    ``words``, never into the moment."""
    fused: dict[int, float] = {}
    by_id: dict[int, Result] = {}
    said: dict[int, Result] = {}
    best = 2.0 / (RRF_K + 1)
    for name, ranking in (("picture", dense), ("words", lexical)):
        for rank, r in enumerate(ranking):
            fused[r.media_id] = fused.get(r.media_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            kept = by_id.setdefault(r.media_id, r)
            kept.why.setdefault("similarity", r.score)
            kept.why[f"{name}_rank"] = rank + 1
            if name == "words":
                kept.lexical = True
                kept.words = {"text": r.text, "start": r.start, "end": r.end, "source": r.source}
                if r.source == "ocr":  # the boxes the words were read in
                    kept.words["spans"] = r.spans
                said[r.media_id] = r
    order = sorted(fused, key=lambda m: (-fused[m], -by_id[m].score))
    out = [by_id[m] for m in order[:limit]]
    for r in out:
        r.score = round(fused[r.media_id] / best, 4)
        _open_where_said(r, said.get(r.media_id))
    return out


def _open_where_said(r: Result, words: Result | None) -> None:
    """A hit found by what was said more than by what it shows opens at the
    words (a video's sentence, not the frame that scored best by picture):
    its moment, text and source become the words' segment's; ``words`` stays."""
    if words is None or words is r or words.start is None or words.source not in SPOKEN:
        return
    if r.why.get("words_rank", FUSION_DEPTH + 1) >= r.why.get("picture_rank", FUSION_DEPTH + 1):
        return
    r.start, r.end, r.text, r.source = words.start, words.end, words.text, words.source
    r.spans, r.segment_id = words.spans, words.segment_id


SPOKEN = ("transcript", "sound")  # timed segments heard, not seen
# A file shares a moment of an example video when it is among the first
# few files that moment finds.
SHARED_RANK = 5


class SearchEngine:
    def __init__(self, library: Library, live: bool = False, max_query_pixels: int | None = None):
        self.lib = library
        self.catalog = library.catalog
        self.embedder = library.embedder
        # A long-lived engine (web server) re-checks the index generation on
        # every query, so it follows a daemon writing in the background.
        self.live = live
        self._transcriber: Transcriber | None = None
        self._spf: tuple[int, float] | None = None  # (generation, segments per file), see _segments_per_file
        # Query images may come from strangers (web uploads): their own pixel cap.
        self.max_query_pixels = max_query_pixels or library.settings.max_image_pixels
        # The web server's uploads have a limit of their own: name the one that applied.
        self.pixels_setting = ("MEDIASEARCH_WEB_MAX_UPLOAD_PIXELS" if max_query_pixels
                               else "MEDIASEARCH_MAX_IMAGE_PIXELS")

    # -- query vectors ------------------------------------------------------
    def term_vector(self, term: Term) -> np.ndarray:
        if term.text is not None:
            return self.embedder.embed_texts([term.text])[0]
        return l2_normalize(self.example_vectors(term).mean(0))[0]

    def example_vectors(self, term: Term) -> np.ndarray:
        """All the vectors of an example file: an indexed file's stored
        segments (no model needed), a video's sampled frames, one row for a
        picture or a recording (what is said in it)."""
        stored = self.catalog.segment_vectors(str(term.path))
        if stored.size:
            return stored
        try:
            kind, _ = detect(term.path)
            if kind is None:
                raise QueryError(f"{term.name} is not a picture, video or audio file this server can read")
            if kind == "audio":
                return self._audio_vector(term.path, term.name)[None, :]
            if kind == "video":
                # Sampled within a time budget, never decoded whole (a long
                # upload must not hold a search slot for minutes).
                return self.embedder.embed_images(query_frames(term.path, self.lib.settings.query_video_frames,
                                                               self.lib.settings.query_video_seconds))
            loaded = load_image(term.path, self.max_query_pixels, limit_name=self.pixels_setting)
        except MediaDecodeError as e:
            raise QueryError(f"cannot use {term.name} as a query: {e}") from e
        return self.embedder.embed_images([loaded.image])

    def search_moments(self, vectors: np.ndarray, query: Query) -> list[Result]:
        """A query of several moments (a video): each moment searched alone,
        each file scored by the mean over the query's moments of its best
        match, so a video finds itself and the videos that share its shots
        (the mean of four different frames is close to none of them)."""
        want = query.offset + query.k
        per = query.only_filters(max(want * 3, 50))
        total: dict[int, float] = {}
        found_by: dict[int, int] = {}  # how many of the query's moments found each file
        best: dict[int, Result] = {}
        for v in l2_normalize(vectors):
            for rank, r in enumerate(self.search_vector(v, per)):
                total[r.media_id] = total.get(r.media_id, 0.0) + r.score / len(vectors)
                found_by[r.media_id] = found_by.get(r.media_id, 0) + (rank < SHARED_RANK)
                if r.media_id not in best or r.score > best[r.media_id].score:
                    best[r.media_id] = r
        order = sorted(total, key=lambda m: -total[m])[query.offset:want]
        out = []
        for m in order:
            r = best[m]
            r.why = {"best_moment": r.score, "moments_matched": found_by[m], "example_moments": len(vectors)}
            r.score = round(total[m], 4)
            out.append(r)
        return out

    def _audio_vector(self, path, name: str | None = None) -> np.ndarray:
        """An audio query: what is said in it (and its tags) becomes the query text."""
        settings = self.lib.settings
        samples, tags = read_audio(path, settings.max_audio_seconds)
        if self._transcriber is None:
            self._transcriber = Transcriber(settings.whisper_model)
        words = " ".join(w.text for w in self._transcriber.transcribe(samples, settings.transcript_window))
        text = " ".join([words, *[tags[k] for k in ("title", "artist", "album") if k in tags]]).strip()
        if not text:
            raise QueryError(f"no speech or tags found in {name or path} to search with")
        return self.embedder.embed_texts([text])[0]

    def query_vector(self, terms: list[Term]) -> np.ndarray:
        if not terms:
            raise QueryError("empty query")
        total = np.zeros(self.embedder.dim, np.float32)
        for t in terms:
            total += t.weight * self.term_vector(t)
        if not np.any(total):
            raise QueryError("the positive and negative parts of the query cancel out: "
                             "search for something without subtracting it")
        return l2_normalize(total)[0]

    def media_vector(self, media_id: int) -> np.ndarray:
        """Feedback ("good", "not this"): the mean of a file's stored vectors."""
        return l2_normalize(self.media_moments(media_id).mean(0))[0]

    def media_moments(self, media_id: int) -> np.ndarray:
        """A file's stored vectors, one per moment ("more like this")."""
        vecs = self.catalog.media_vectors(media_id)
        if not vecs.size:
            raise QueryError(f"no indexed media with id {media_id}")
        return vecs

    # -- search -------------------------------------------------------------
    def search(self, query: Query, vector: np.ndarray | None = None) -> list[Result]:
        vector = self.query_vector(query.terms) if vector is None else vector
        words = positive_text(query.terms) if query.lexical else ""
        if not words:
            return self.search_vector(vector, query)
        want = query.offset + query.k
        depth = max(want, FUSION_DEPTH)
        lex = self.catalog.lexical(words, limit=depth * 3, filters=query.filters)
        if not lex:
            return self.search_vector(vector, query)
        dense = self.search_vector(vector, query.only_filters(depth))
        return fuse(dense, self._lexical_results(lex, vector), depth)[query.offset:want]

    def _lexical_results(self, lex: list[tuple[int, int]], vector: np.ndarray) -> list[Result]:
        """Full-text hits as results, one per file, each with its vector score."""
        best: dict[int, int] = {}
        for sid, mid in lex:
            best.setdefault(mid, sid)
        rows = self.catalog.hits(list(best.values()))
        vectors = self.catalog.vectors_of_media(list(best))
        out = []
        for mid, sid in best.items():
            hit = rows.get(sid)
            if hit is None:
                continue
            vecs = vectors.get(mid, np.zeros((0, 0), np.float32))
            score = round(float((vecs @ vector).max()), 4) if vecs.size else 0.0
            moments = [Moment(hit.t_start, hit.t_end, score, hit.source, hit.text)] if hit.t_start is not None else []
            out.append(Result(mid, hit.path, hit.kind, score, hit.t_start, hit.t_end, hit.text, moments,
                              lexical=True, segment_id=sid, taken_at=hit.taken_at, source=hit.source,
                              spans=hit.spans))
        return out

    def search_vector(self, vector: np.ndarray, query: Query) -> list[Result]:
        vi = self.lib.vector_index(refresh=self.live)
        allowed = None
        want = query.offset + query.k
        n = max(int(want * self._segments_per_file(vi)), 32)
        if query.filtered:
            first = self._filtered_after(vi, vector, query, want, n * POST_FILTER_WIDEN)
            if first is not None:
                return first
            allowed = self.catalog.segment_ids(filters=query.filters)
        while True:
            scores, ids = vi.search(vector, n, allowed)
            results = self._group(scores, ids)
            exhausted = len(ids) < n
            if len(results) >= want or exhausted:
                return results[query.offset:want]
            n *= 4

    def _segments_per_file(self, vi) -> float:
        """How many segments a file has on average (1 in a photo library, more
        with videos and recordings), between 1.2 and 3: how much deeper than
        the files asked for the vectors are searched before grouping (an
        IVF-PQ index refines each candidate with its exact vector from the
        catalog: at 1M photos, 3x fetched 2,400 vectors a query where 1,000
        do). Kept per generation of the index (which follows the catalog's:
        no second read of it per search); too few found, the search goes
        deeper (search_vector)."""
        if self._spf is None or self._spf[0] != vi.generation:
            self._spf = (vi.generation, len(vi) / max(1, self.catalog.last_media_id()))
        return min(3.0, max(1.2, self._spf[1]))

    def _filtered_after(self, vi, vector: np.ndarray, query: Query, want: int, n: int) -> list[Result] | None:
        """A filter that keeps much of the library ("not videos", "photos"):
        the best ``n`` of all, those the filter keeps, when they are enough
        (with an exact index, the same answer as filtering inside the search:
        whatever the filter keeps beyond them scores lower). Listing every
        allowed id first cost 90-150 ms at 100k files. None: too few kept."""
        scores, ids = vi.search(vector, n)
        kept = np.isin(ids, self.catalog.segment_ids(filters=query.filters, among=ids))
        results = self._group(scores[kept], ids[kept])
        if len(results) >= want or len(ids) < n:
            return results[query.offset:want]
        return None

    def _group(self, scores: np.ndarray, ids: np.ndarray) -> list[Result]:
        rows = self.catalog.hits([int(i) for i in ids])
        by_media: dict[int, Result] = {}
        order: list[Result] = []
        for score, sid in zip(scores, ids):
            hit = rows.get(int(sid))
            if hit is None:  # deleted since the index was built
                continue
            moment = Moment(hit.t_start, hit.t_end, round(float(score), 4), hit.source, hit.text)
            res = by_media.get(hit.media_id)
            if res is None:
                res = Result(hit.media_id, hit.path, hit.kind, moment.score, hit.t_start, hit.t_end,
                             hit.text, [], segment_id=hit.segment_id, taken_at=hit.taken_at, source=hit.source,
                             why={"similarity": moment.score}, spans=hit.spans)
                by_media[hit.media_id] = res
                order.append(res)
            # Other moments of the same file are listed when they match nearly as well.
            if hit.t_start is not None and len(res.moments) < 5 and moment.score >= res.score - 0.1:
                res.moments.append(moment)
        return order
