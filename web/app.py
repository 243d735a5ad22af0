"""The FastAPI application: a search page and a JSON API over the same
engine as the CLI. Routes are thin: parse, call the engine, shape the answer."""
from __future__ import annotations

import datetime as dt
import json
from contextlib import asynccontextmanager
import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query as Q, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from indexer.library import Library
from indexer.media.detect import detect
from indexer.media.thumbs import SIZES, NotCached, thumbnail
from search.engine import Result, SearchEngine
from search.query import Query, Term, check_kinds, parse_term, positive_text, split_text_query
from search.status import gather_status
from store.errors import (MediaDecodeError, MediaSearchError, ModelMismatchError, ModelUnavailableError,
                          QueryError, StorageFullError)
from store.paths import display
from store.schema import KINDS
from store.settings import Settings

from .security import KEY_COOKIE, ConcurrencyLimit, GuardMiddleware, Overloaded

HERE = Path(__file__).parent
SAFE_TYPES = {
    ("image", "jpeg"): "image/jpeg", ("image", "png"): "image/png", ("image", "gif"): "image/gif",
    ("image", "webp"): "image/webp", ("image", "bmp"): "image/bmp", ("image", "tiff"): "image/tiff",
    ("image", "heif"): "image/heic", ("image", "avif"): "image/avif",
    ("video", "mp4"): "video/mp4", ("video", "matroska"): "video/x-matroska", ("video", "webm"): "video/webm", ("video", "avi"): "video/x-msvideo",
    ("video", "ogg"): "video/ogg", ("video", "mpeg"): "video/mpeg",
    ("audio", "wav"): "audio/wav", ("audio", "mp3"): "audio/mpeg", ("audio", "m4a"): "audio/mp4",
    ("audio", "flac"): "audio/flac", ("audio", "ogg"): "audio/ogg", ("audio", "aiff"): "audio/aiff",
}


class State:
    def __init__(self, settings: Settings, library: Library, watch_roots: list[str]):
        self.settings = settings
        self.lib = library
        self.engine = SearchEngine(library, live=True, max_query_pixels=settings.web_max_upload_pixels)
        self.watch_roots = watch_roots
        self._captioner = None
        self.limit = ConcurrencyLimit(settings.web_max_concurrency, settings.web_max_queue,
                                      settings.web_queue_wait)

    def captioner(self):
        """The captioner for reranking, created once (its weights load lazily)."""
        if self._captioner is None:
            from indexer.captioners import resolve_captioner
            self._captioner = resolve_captioner(self.settings.captioner)
        return self._captioner


def get_state(request: Request) -> State:
    return request.app.state.ms


StateDep = Annotated[State, Depends(get_state)]


def _parse_date(value: str | None, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise QueryError(f"{name}: use a date like 2024-07-31 (or a unix time)") from None


class PathSafeJSON(JSONResponse):
    """JSON whose strings may hold file names with undecodable bytes: those
    bytes are shown as U+FFFD (files are served by id, never by path)."""

    def render(self, content) -> bytes:
        return display(json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))).encode()


def hit_dict(r: Result) -> dict:
    d = r.to_dict()
    d["id"] = r.media_id
    t = f"&t={r.start:.3f}" if r.start is not None else ""
    d["thumb"] = f"/thumb/{r.media_id}?size=256{t}"
    d["url"] = f"/media/{r.media_id}"
    d["name"] = os.path.basename(r.path)
    # The day it was taken, in the server's time zone (the photo's clock), for the card.
    d["taken"] = dt.datetime.fromtimestamp(r.taken_at).date().isoformat() if r.taken_at else None
    return d


def text_terms(q: str, nots: list[str]) -> list[Term]:
    """Terms from the search box. Never read as file paths: a web query must
    not make the server open files on its disk."""
    pos, neg = split_text_query(q)
    return ([parse_term(p, as_file=False) for p in pos]
            + [parse_term(n, sign=-1.0, as_file=False) for n in neg + list(nots)])


def create_app(settings: Settings, model: str | None = None, api_key: str | None = None,
               allowed_hosts: list[str] | None = None, cors_origins: list[str] | None = None,
               watch_roots: list[str] | None = None, embedder=None, library: Library | None = None) -> FastAPI:
    """``embedder`` is for programmatic use (benchmarks): a ready model object.
    ``library``: share an open Library (the in-process watcher's), so searches
    use the index it keeps up to date in memory instead of reloading it."""
    settings.ensure_home()
    own_library = library is None
    library = library or Library(settings, model, embedder=embedder)
    state = State(settings, library, [os.path.realpath(r) for r in watch_roots or []])
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        if own_library:
            library.close()

    app = FastAPI(title="mediasearch", description="Semantic search over your own photos, videos and audio.",
                  version="0.1.0", lifespan=lifespan, default_response_class=PathSafeJSON)
    app.state.ms = state
    templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescapes HTML
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(MediaSearchError)
    async def domain_error(_request: Request, exc: MediaSearchError):
        status = 400 if isinstance(exc, QueryError) else 409 if isinstance(exc, ModelMismatchError) \
            else 503 if isinstance(exc, (ModelUnavailableError, StorageFullError)) \
            else 422 if isinstance(exc, MediaDecodeError) else 500
        return PathSafeJSON({"detail": str(exc)}, status_code=status)

    @app.exception_handler(Overloaded)
    async def overloaded(_request: Request, exc: Overloaded):
        return PathSafeJSON({"detail": exc.message}, status_code=exc.status, headers={"Retry-After": "2"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request, key: str | None = None):
        if key is not None and api_key is not None:
            # Trade the key in the URL for a cookie, then drop it from the address bar.
            resp = RedirectResponse("/", status_code=303)
            resp.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
            return resp
        return templates.TemplateResponse(request, "index.html", {"kinds": KINDS})

    def run_search(s: State, terms: list[Term], k: int, offset: int, kind: list[str], under: list[str],
                   after: str | None, before: str | None, like: int | None, lexical: bool = True,
                   rerank: bool = False, place: str | None = None) -> dict:
        check_kinds(kind)
        if s.lib.catalog.model_identity() is None:
            return {"results": [], "empty_index": True, "k": k, "offset": offset}
        query = Query(terms, k=k, offset=offset, kinds=kind,
                      under=[os.path.realpath(os.path.expanduser(u)) for u in under],
                      after=_parse_date(after, "after"), before=_parse_date(before, "before"), lexical=lexical,
                      place=(place or "").strip() or None)
        with s.limit:
            if like is not None:
                import numpy as np
                vec = s.engine.media_vector(like)
                if terms:
                    vec = vec + s.engine.query_vector(terms)
                    vec = vec / (np.linalg.norm(vec) or 1)
                results = s.engine.search_vector(vec, query)
            else:
                results = s.engine.search(query)
            if rerank and offset == 0:
                from search.rerank import rerank as do_rerank
                results, _ = do_rerank(s.engine, results, positive_text(terms), s.captioner(),
                                       s.settings.rerank_top, s.settings.rerank_weight)
        return {"results": [hit_dict(r) for r in results], "empty_index": False, "k": k, "offset": offset}

    @app.get("/api/search", summary="Search by text (and 'more like this')")
    def api_search(s: StateDep, q: str = "", k: Annotated[int, Q(ge=1, le=200)] = 24,
                   offset: Annotated[int, Q(ge=0, le=100_000)] = 0,
                   kind: Annotated[list[str], Q()] = [],
                   under: Annotated[list[str], Q()] = [],
                   not_: Annotated[list[str], Q(alias="not")] = [],
                   after: str | None = None, before: str | None = None, like: int | None = None,
                   lexical: bool = True, rerank: bool = False, place: str | None = None):
        """``q`` may hold ``-word`` / ``-"a phrase"`` negatives; ``not`` adds more."""
        terms = text_terms(q, not_)
        if like is None and not any(t.weight > 0 for t in terms):
            raise QueryError("type something to search for")
        return run_search(s, terms, k, offset, kind, under, after, before, like, lexical, rerank, place)

    @app.post("/api/search", summary="Search with an uploaded image or audio file and/or text")
    def api_search_upload(s: StateDep, file: Annotated[UploadFile | None, File()] = None,
                          q: Annotated[str, Form()] = "", k: Annotated[int, Form(ge=1, le=200)] = 24,
                          offset: Annotated[int, Form(ge=0)] = 0,
                          kind: Annotated[list[str], Form()] = [],
                          under: Annotated[list[str], Form()] = [],
                          after: Annotated[str | None, Form()] = None,
                          before: Annotated[str | None, Form()] = None,
                          place: Annotated[str | None, Form()] = None):
        terms = text_terms(q, [])
        tmp_path = None
        try:
            if file is not None and file.filename:
                # Uploads go to the data dir, never into an indexed folder, and are deleted after.
                updir = s.settings.home / "uploads"
                updir.mkdir(parents=True, exist_ok=True)
                fd, tmp_path = tempfile.mkstemp(dir=updir, prefix="query-")
                with os.fdopen(fd, "wb") as out:
                    while chunk := file.file.read(1 << 20):
                        out.write(chunk)
                terms.append(Term(1.0, path=Path(tmp_path)))
            if not any(t.weight > 0 for t in terms):
                raise QueryError("give a file or some text to search with")
            return run_search(s, terms, k, offset, kind, under, after, before, None, place=place)
        finally:
            if tmp_path:
                try:
                    os.unlink(tmp_path)
                except OSError:
                    pass

    def media_or_404(s: State, media_id: int) -> dict:
        m = s.lib.catalog.media(media_id)
        if m is None or m["status"] != "ok":
            raise HTTPException(404, "no such media")
        return m

    def safe_file(s: State, m: dict) -> Path:
        """The file's real path, only when it lies inside an indexed root."""
        real = os.path.realpath(m["path"])
        roots = {os.path.realpath(r) for r in s.lib.catalog.roots()} | set(s.watch_roots)
        for root in roots:
            try:
                if os.path.commonpath([real, root]) == root and os.path.isfile(real):
                    return Path(real)
            except ValueError:
                continue
        raise HTTPException(404, "file not available")

    @app.get("/api/media/{media_id}", summary="Details of one file")
    def api_media(s: StateDep, media_id: int):
        m = media_or_404(s, media_id)
        m.pop("content_hash", None)
        m["name"] = os.path.basename(m["path"])
        m["url"] = f"/media/{media_id}"
        m["thumb"] = f"/thumb/{media_id}?size=512"
        return m

    @app.api_route("/media/{media_id}", methods=["GET", "HEAD"], summary="The file's bytes (supports HTTP range requests)")
    def media_bytes(s: StateDep, media_id: int):
        m = media_or_404(s, media_id)
        path = safe_file(s, m)
        kind, fmt = detect(path)
        ctype = SAFE_TYPES.get((kind, fmt))
        if ctype is None:  # never inline anything we did not recognise (SVG, HTML...)
            return FileResponse(path, media_type="application/octet-stream",
                                filename=display(os.path.basename(path)), content_disposition_type="attachment")
        return FileResponse(path, media_type=ctype, filename=display(os.path.basename(path)),
                            content_disposition_type="inline")

    @app.get("/thumb/{media_id}", summary="A cached thumbnail (sizes 128, 256, 512)")
    def thumb(s: StateDep, media_id: int, size: Annotated[int, Q(ge=16, le=2048)] = 256,
              t: Annotated[float | None, Q(ge=0)] = None):
        m = media_or_404(s, media_id)
        safe_file(s, m)
        try:
            p = thumbnail(s.settings.home, m, size, t, s.settings.max_image_pixels)
        except MediaDecodeError as e:
            raise HTTPException(422, f"no thumbnail: {e}") from e
        except NotCached as e:  # full disk or read-only data dir: serve it uncached
            return Response(e.data, media_type=e.media_type, headers={"Cache-Control": "no-store"})
        return FileResponse(p, media_type="image/png" if p.suffix == ".png" else "image/jpeg",
                            headers={"Cache-Control": "private, max-age=86400"})

    @app.get("/api/status", summary="Model, counts, index size, failures, watcher")
    def api_status(s: StateDep):
        info = gather_status(s.settings, 50, s.lib.catalog)
        info["sizes"] = list(SIZES)
        return info

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["X-API-Key"])
    hosts = {"127.0.0.1", "localhost", "::1", *(allowed_hosts or [])}
    app.add_middleware(GuardMiddleware, allowed_hosts=hosts, api_key=api_key,
                       max_body=settings.web_max_upload_bytes)
    return app
