"""The search service: the one place where a query is interpreted and run.

The CLI and the web routes only translate their arguments into a
``SearchRequest`` and format the ``SearchAnswer``; so ``dog -water`` means the
same in the search box, the API and the terminal, "more like this" is the
same arithmetic everywhere, and one serializer shapes every JSON answer.
Which indexed files may be served (inside an indexed root, real path
checked) is decided here too, once.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from mediasearch.indexer.embedders.base import l2_normalize
from mediasearch.indexer.library import Library
from mediasearch.indexer.roots import under
from mediasearch.store.errors import NotFoundError, QueryError
from mediasearch.store.schema import STATUS_OK

from . import browsing, marks, negatives
from .answer import SearchAnswer
from .cutoff import Cutoff
from .engine import Result, SearchEngine
from .events import Event, rank_events, what_happened
from .interpret import Interpretation, Interpreter, folder
from .moments import at_people_moment, narrow_to_sentences, open_at_picture
from .query import Query, check_kinds, positive_text
from .read_people import about_people
from .request import SearchRequest

MAX_ID = 2**63 - 1
WARM_QUERIES = ("a photo in July 2019", "Anna at the beach in Lisbon", "海滩上的狗", "un perro en la playa")


def parse_date(value: float | str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        raise QueryError(f"{name}: use a date like 2024-07-31 (or a unix time)") from None


ORDERS = ("relevance", "newest", "oldest")
DATE_DEPTH = 200  # matches re-ordered by date (the best ones where there are more)


def _listed(rows: list[dict], why: str) -> list[Result]:
    """Files shown without a score (the newest, or those the filters alone
    chose): ``why`` says which, so the page shows no score."""
    return [Result(r["media_id"], r["path"], r["kind"] or "unknown", 0.0, taken_at=r["taken_at"],
                   why={why: True}, when=r.get("when")) for r in rows]


def _check_id(media_id: int) -> int:
    if not 1 <= media_id <= MAX_ID:
        raise NotFoundError(f"no indexed media with id {media_id}")
    return media_id


class SearchService:
    def __init__(self, library: Library, live: bool = False, max_query_pixels: int | None = None,
                 captioner: Callable[[], object] | None = None, extra_roots: list[str] | None = None,
                 say: Callable[[str], None] | None = None):
        self.lib = library
        self.say = say or (lambda message: None)  # the CLI tells what it waits for
        self.engine = SearchEngine(library, live=live, max_query_pixels=max_query_pixels)
        self._captioner = captioner
        self.extra_roots = [os.path.realpath(r) for r in extra_roots or []]
        # A live service (the web server) refreshes place names and the
        # cut-off in the background after the library changed.
        self.interpreter = Interpreter(library.catalog, background=live)
        self.cutoff = Cutoff(library, background=live)

    def warm_up(self) -> float:
        """Run a query in each kind of reading once (English, Chinese, another
        language, a date and a place), so the first real one of each kind does
        not load CC-CEDICT, USE, the date rules or the cut-off's calibration
        (a first Chinese query after `serve` started took seconds); seconds
        spent."""
        import time

        t0 = time.perf_counter()
        for text in WARM_QUERIES:
            try:
                self.search(SearchRequest(texts=[text], k=1))
            except QueryError:  # a model with no words for it (the test embedder): nothing to warm
                continue
        return time.perf_counter() - t0

    # -- interpreting -----------------------------------------------------
    def interpret(self, req: SearchRequest) -> tuple[Interpretation, Query]:
        it = self.interpreter.read(req)
        check_kinds(it.kinds + it.not_kinds)
        reading = self.lib.embedder.query_reading(it.semantic) if it.semantic else None
        if reading:  # 'read as Chinese: "black dog"', so a poor reading is seen, not guessed at
            it.notes.append(reading)
        narrowed = it.filters.narrowed(under=[folder(u) for u in req.under], after=parse_date(req.after, "after"),
                                       before=parse_date(req.before, "before"))
        query = Query(it.terms, k=req.k, offset=req.offset, lexical=req.lexical, filters=narrowed)
        return it, query

    # -- running ----------------------------------------------------------
    def search(self, req: SearchRequest) -> SearchAnswer:
        """The answer, best first or by date (``req.order``)."""
        if req.order not in ORDERS:
            raise QueryError(f"order: use {', '.join(ORDERS)} (not {req.order!r})")
        if req.order == "relevance":
            return self._answer(req)
        # By date: the matches of a deep search, re-ordered, then the page.
        deep = self._answer(replace(req, order="relevance", k=max(DATE_DEPTH, req.k + req.offset), offset=0))
        if deep.results and "filters" in deep.results[0].why:  # filters only: listed by date already
            return self._answer(req)
        deep_hits = deep.results
        shown = [r for r in deep_hits if r.match is not False or req.all]
        when = self.lib.catalog.when_of([r.media_id for r in shown])
        for r in shown:
            r.when = when.get(r.media_id)
        shown.sort(key=lambda r: (r.when is None, -(r.when or 0) if req.order == "newest" else (r.when or 0)))
        deep.request, deep.results = req, shown[req.offset:req.offset + req.k]
        # "capped": there may be more matches than the DATE_DEPTH best ones ordered here.
        deep.ordered = {"by": req.order, "of": len(shown), "capped": len(deep_hits) >= DATE_DEPTH}
        return deep

    def _answer(self, req: SearchRequest) -> SearchAnswer:
        """The answer; where a reading (a date, a place, a kind) left nothing
        of words that find something ("The new bridge opens in March." said
        in a video: "in March" read as a date), the words alone, with a note
        saying so (the reading is still there to choose)."""
        answer = self._search(req)
        self._name_people(answer.results, answer.interpretation)
        it = answer.interpretation
        if answer.results or answer.empty_index or req.offset or req.plain or it is None \
                or not it.readings or not it.semantic:
            return answer
        words = self._search(replace(req, plain=["all"]))
        self._name_people(words.results, words.interpretation)
        if not words.results:
            return answer
        labels = " · ".join(rd.label for rd in it.readings)
        words.interpretation.notes.insert(0, f"nothing matches the reading ({labels}): "
                                             "these are found by the words alone")
        return words

    def _search(self, req: SearchRequest) -> SearchAnswer:
        it, query = self.interpret(req)
        terms = it.terms
        browse = not req.like and not any(t.weight > 0 for t in terms)
        if browse and not query.filtered:
            raise QueryError("give something to search for: words, a file, or a result to find more like")
        if self.lib.catalog.model_identity() is None:
            return SearchAnswer(req, [], empty_index=True, interpretation=it)
        if browse:  # only filters ("videos from last summer"): the matching files, newest first
            rows = self.lib.catalog.browse(query.filters, req.k, req.offset, oldest=req.order == "oldest")
            return SearchAnswer(req, _listed(rows, "filters"),
                                interpretation=it)
        new_examples = [t.path for t in terms if t.path is not None
                        and not self.lib.catalog.segment_vectors(str(t.path)).size]
        if new_examples:
            self.say(f"loading the model to read {new_examples[0].name} (not indexed)...")
        examples = [t for t in terms if t.path is not None and t.weight > 0]
        moments = (self.engine.example_vectors(examples[0])
                   if len(examples) == 1 and len(terms) == 1 and not (req.like or req.unlike) else None)
        cutoff = None
        marked = bool(req.like or req.unlike)
        asked = replace(query, k=marks.depth(query.k, query.offset), offset=0) if marked else query
        vector = None
        if not any(t.weight for t in terms):  # marks alone: "more like this", "Not this"
            results, vector = self._by_marks(req, asked)
        elif moments is not None and len(moments) > 1:  # a video (or any file of several moments)
            results = self.engine.search_moments(moments, asked)
        elif moments is not None:  # one picture: its vector, read or embedded once
            results = self.engine.search_vector(l2_normalize(moments.mean(0))[0], asked)
        else:
            judged = all(t.text is not None for t in terms)
            results, vector = self._search_words(asked)
            if judged:
                results, cutoff = self._judge(results, vector, it.semantic, any(t.weight < 0 for t in terms))
                results = results if (req.all or marked) else [r for r in results if r.match is not False]
                if cutoff.get("note"):
                    it.notes.append(cutoff["note"])
        if marked:  # marks reorder what the query found, so it keeps its subject
            worded = any(t.weight for t in terms)
            if worded or req.unlike:  # (plain "more like this" is already the answer)
                vector = self.engine.query_vector(terms) if vector is None else vector
                results = marks.remark(self.engine, results, vector, asked,
                                       [_check_id(m) for m in req.like] if worded else [],
                                       [_check_id(m) for m in req.unlike])
            results = results[query.offset:query.offset + query.k]
        narrow_to_sentences(results, terms, self.lib.embedder)
        reranked = None
        if req.rerank and req.offset == 0 and self._captioner is not None:
            from .rerank import rerank

            s = self.lib.settings
            results, stats = rerank(self.engine, results, positive_text(terms), self._captioner(),
                                    s.rerank_top, s.rerank_weight)
            reranked = {"candidates": stats.candidates, "captioned_now": stats.captioned_now,
                        "seconds": round(stats.seconds, 3)}
        return SearchAnswer(req, results, reranked=reranked, interpretation=it, cutoff=cutoff)

    def _name_people(self, results: list[Result], it: Interpretation | None) -> None:
        """Each hit's named people (one query for the page; none without
        faces); a video asked for by who is in it opens where they are."""
        if not results or not self.lib.catalog.has_faces():
            return
        named: dict[int, list[str]] = {}
        seen: dict[int, list[float]] = {}  # video -> when the asked-for people are in it
        wanted = set(it.people) if it is not None else set()
        for f in self.lib.catalog.faces_of(media_ids=[r.media_id for r in results]):
            if f["person"] and f["person"] not in named.setdefault(f["media_id"], []):
                named[f["media_id"]].append(f["person"])
            if f["person_id"] in wanted and f["t"] is not None:
                seen.setdefault(f["media_id"], []).append(f["t"])
        for r in results:
            r.people = sorted(named.get(r.media_id, []))
            if r.media_id in seen:
                at_people_moment(r, sorted(seen[r.media_id]))

    def _judge(self, results: list[Result], vector: np.ndarray, text: str | None,
               negated: bool) -> tuple[list[Result], dict]:
        """Matches first, then weaker hits. Where the model cannot judge (its
        vocabulary lacks the subject), the hits stay unjudged (``match``
        None). With negated words, a match that looks like what they name is
        weaker."""
        j = self.cutoff.judge(results, vector, text)
        if j.text_gate is not None:
            for r in results:
                open_at_picture(r, j.text_gate)
        for r in j.matched:
            r.match = True if j.cutoff.get("applied") else None
        for r in j.weaker:
            r.match = False
        results = j.matched + j.weaker
        if j.cutoff.get("applied") and about_people(text) and j.weaker:
            results = self._faces_answer(results, j.cutoff)
        if negated:
            results = negatives.judged(results, j.cutoff)
            if j.cutoff.get("applied"):
                j.cutoff["held_back"] = sum(r.match is False for r in results)
                j.cutoff["matched"] = any(r.match for r in results)
        return results, j.cutoff

    def _faces_answer(self, results: list[Result], cutoff: dict) -> list[Result]:
        """A query about people ("a man", "kids having fun", "a crowd"): a
        hit held back that has a face in it is a match after all, in its
        rank (the bundled model has no idea of a person; the faces do)."""
        counts = self.lib.catalog.face_counts([r.media_id for r in results if r.match is False])
        if not counts:
            return results
        for r in results:
            if r.match is False and r.media_id in counts:
                r.match = True
                r.why["faces"] = counts[r.media_id]
        cutoff["by_faces"] = len(counts)
        cutoff["held_back"] = sum(r.match is False for r in results)
        cutoff["matched"] = True
        return [r for r in results if r.match is not False] + [r for r in results if r.match is False]

    def _search_words(self, query: Query) -> tuple[list[Result], np.ndarray]:
        """A text query's hits and the vector they are judged by: negated
        words reorder what the positive ones find (search/negatives.py)."""
        nots = [t for t in query.terms if t.weight < 0 and t.text is not None]
        rest = [t for t in query.terms if t not in nots]
        if not nots or not any(t.weight > 0 for t in rest):
            vector = self.engine.query_vector(query.terms)
            return self.engine.search(query, vector), vector
        vector = self.engine.query_vector(rest)
        negated = [self.engine.term_vector(t) for t in nots]
        if any(float(n @ vector) > 0.99 for n in negated):  # "red -red"
            raise QueryError("the positive and negative parts of the query cancel out: "
                             "search for something without subtracting it")
        found = self.engine.search(replace(query, terms=rest, k=negatives.depth(query.k, query.offset), offset=0),
                                   vector)
        named = {mid for t in nots for _, mid in self.lib.catalog.lexical(t.text, limit=len(found) * 20,
                                                                           filters=query.filters)}
        found = negatives.reorder(self.engine, found, vector, negated, named)
        return found[query.offset:query.offset + query.k], vector

    def _by_marks(self, req: SearchRequest, query: Query) -> tuple[list[Result], np.ndarray]:
        """No words or example: "more like this" (a file of several moments,
        a video, asks with each of them: the mean of its shots is close to
        none of them and let stills rank above it), or "Not this" alone,
        which searches away from the marked files."""
        like = [_check_id(m) for m in req.like]
        if len(like) == 1:
            own = self.engine.media_moments(like[0])
            vector = l2_normalize(own.mean(0))[0]
            if len(own) > 1:
                return self.engine.search_moments(own, query), vector
        elif like:
            vector = l2_normalize(sum(self.engine.media_vector(m) for m in like))[0]
        else:
            cal = self.cutoff.calibration()
            mean = cal.mean if cal is not None else np.zeros(self.lib.embedder.dim, np.float32)
            vector = marks.away_from(self.engine, mean, [_check_id(m) for m in req.unlike])
        return self.engine.search_vector(vector, query), vector

    def recent(self, n: int = 12) -> list[Result]:
        """What was added last, newest first: the landing view's cards."""
        return _listed(self.lib.catalog.recent(n), "recent")

    # -- the library as events, months and places (search/browsing.py) -------
    def events(self) -> list[Event]:
        return browsing.events(self.lib)

    def event(self, event_id: int) -> tuple[Event, list[Result]]:
        return browsing.event(self.lib, event_id)

    def edit_event(self, kind: str, event_id: int, other: int | None = None, name: str | None = None) -> None:
        browsing.edit_event(self.lib, kind, event_id, other, name)

    def events_matching(self, text: str, k: int = 10) -> tuple[SearchAnswer, list[tuple[Event, float, list]]]:
        """Events found by what happened in them ("the beach trip", "our
        weekend in Porto"): the query's matches (pictures, words read, what
        was said, sounds), gathered by event."""
        answer = self.search(SearchRequest(texts=[what_happened(text) or text], k=DATE_DEPTH))
        return answer, rank_events(self.events(), answer.results)[:k]


    def timeline(self) -> list[dict]:
        return browsing.timeline(self.lib)

    def map(self, cell: float) -> dict:
        return browsing.library_map(self.lib, cell)

    def duplicates(self) -> list[dict]:
        """Groups of near-identical pictures and videos, each with a
        suggested keeper and the reason (nothing is acted on)."""
        from .duplicates import find_groups
        from .video_duplicates import find_video_groups

        groups = find_groups(self.lib.catalog, self.lib.embedder.dim, self.lib.settings.max_image_pixels)
        groups += find_video_groups(self.lib.catalog, self.lib.embedder.dim, self.lib.settings.home)
        return [g.to_dict() for g in groups]

    # -- files ------------------------------------------------------------
    def media(self, media_id: int) -> dict:
        m = self.lib.catalog.media(_check_id(media_id))
        if m is None or m["status"] != STATUS_OK:
            raise NotFoundError(f"no indexed media with id {media_id}")
        return m

    def file_of(self, m: dict) -> Path:
        """The file's real path, only when it lies inside an indexed root
        (a symlink out of a root, or a row pointing elsewhere, is refused)."""
        real = os.path.realpath(m["path"])
        roots = {os.path.realpath(r) for r in self.lib.catalog.roots()} | set(self.extra_roots)
        if os.path.isfile(real) and any(under(real, root) for root in roots):
            return Path(real)
        raise NotFoundError("file not available")
