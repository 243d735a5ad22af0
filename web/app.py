"""The FastAPI application: a search page and a JSON API over the same
engine as the CLI. Routes are thin: parse, call the engine, shape the answer."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, HTTPException, Path as FPath, Query as Q, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from mediasearch.indexer.library import Library
from mediasearch.indexer.media.detect import detect
from mediasearch.indexer.media.thumbs import SIZES, NotCached, thumbnail
from mediasearch.search.service import MAX_ID, SearchRequest, SearchService, answer_dict
from mediasearch.search.status import gather_status
from mediasearch.store.errors import MediaDecodeError, MediaSearchError, QueryError, http_status
from mediasearch.store.paths import display
from mediasearch.store.schema import KINDS
from mediasearch.store.settings import Settings

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
        self.service = SearchService(library, live=True, max_query_pixels=settings.web_max_upload_pixels,
                                     captioner=self.captioner, extra_roots=watch_roots)
        self.watch_roots = watch_roots
        self._captioner = None
        self.limit = ConcurrencyLimit(settings.web_max_concurrency, settings.web_max_queue,
                                      settings.web_queue_wait)

    def captioner(self):
        """The captioner for reranking, created once (its weights load lazily)."""
        if self._captioner is None:
            from mediasearch.indexer.captioners import resolve_captioner
            self._captioner = resolve_captioner(self.settings.captioner)
        return self._captioner


class ErrorBody(BaseModel):
    detail: str


ERROR_TEXT = {400: "Bad query or parameters", 401: "API key required", 404: "No such media, or not servable",
              409: "The index was built with another model", 413: "Upload too large",
              422: "Invalid parameters, or a file that cannot be decoded", 429: "Too many searches at once",
              503: "Busy, a model unavailable, or the disk full"}


def errors(*codes: int) -> dict:
    """The error answers a route may give, documented (every one is JSON: {"detail"})."""
    return {c: {"model": ErrorBody, "description": ERROR_TEXT[c]} for c in codes}


def get_state(request: Request) -> State:
    return request.app.state.ms


StateDep = Annotated[State, Depends(get_state)]
MediaId = Annotated[int, FPath(ge=1, le=MAX_ID)]


class PathSafeJSON(JSONResponse):
    """JSON whose strings may hold file names with undecodable bytes: those
    bytes are shown as U+FFFD (files are served by id, never by path)."""

    def render(self, content) -> bytes:
        return display(json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))).encode()


def save_upload(home: Path, file: UploadFile) -> str:
    """Uploads go to the data dir, never into an indexed folder (deleted after use)."""
    updir = home / "uploads"
    updir.mkdir(parents=True, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=updir, prefix="query-")
    with os.fdopen(fd, "wb") as out:
        while chunk := file.file.read(1 << 20):
            out.write(chunk)
    return tmp_path


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mediasearch API</title>
<link rel="icon" href="/favicon.ico"><link rel="stylesheet" href="/docs-assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script><script src="/static/docs-init.js"></script>
</body></html>"""


def mount_docs(app: FastAPI) -> None:
    """/docs from the swagger-ui-py package's Swagger UI 5 files (Apache-2.0;
    OpenAPI 3.1), served here: the default page loads them from a CDN, which
    an offline product cannot reach and the CSP forbids. Found without
    importing the package (its import pulls in web-framework glue)."""
    import importlib.util

    spec = importlib.util.find_spec("swagger_ui")
    swagger_ui_path = str(Path(spec.origin).parent / "static") if spec and spec.origin else None
    if swagger_ui_path is None or not Path(swagger_ui_path, "swagger-ui-bundle.js").is_file():
        return
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(Path(swagger_ui_path) / "favicon-32x32.png", media_type="image/png")


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
                  version="0.1.0", lifespan=lifespan, default_response_class=PathSafeJSON,
                  docs_url=None, redoc_url=None)
    app.state.ms = state
    templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescapes HTML
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    mount_docs(app)

    @app.exception_handler(MediaSearchError)
    async def domain_error(_request: Request, exc: MediaSearchError):
        return PathSafeJSON({"detail": str(exc)}, status_code=http_status(exc))

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

    async def answer(s: State, req: SearchRequest) -> dict:
        """Admitted before a worker thread is taken, so the wait is bounded."""
        async with s.limit.admit():
            return answer_dict(await run_in_threadpool(s.service.search, req))

    @app.get("/api/search", summary="Search by text (and 'more like this')",
             responses=errors(400, 404, 409, 429, 503))
    async def api_search(s: StateDep, q: str = "", k: Annotated[int, Q(ge=1, le=200)] = 24,
                         offset: Annotated[int, Q(ge=0, le=100_000)] = 0,
                         kind: Annotated[list[str], Q()] = [],
                         under: Annotated[list[str], Q()] = [],
                         not_: Annotated[list[str], Q(alias="not")] = [],
                         after: str | None = None, before: str | None = None,
                         like: Annotated[list[int], Q()] = [],
                         unlike: Annotated[list[int], Q()] = [],
                         lexical: bool = True, rerank: bool = False, place: str | None = None):
        """``q`` may hold ``-word`` / ``-"a phrase"`` negatives; ``not`` adds more;
        ``like``/``unlike`` (repeatable) refine by results marked good or bad."""
        if any(not 1 <= i <= MAX_ID for i in [*like, *unlike]):
            raise QueryError("like/unlike: not a media id")
        req = SearchRequest(texts=[q] if q.strip() else [], nots=not_, like=like, unlike=unlike, k=k,
                            offset=offset, kinds=kind, under=under, after=after, before=before,
                            place=place, lexical=lexical, rerank=rerank)
        return await answer(s, req)

    @app.post("/api/search", summary="Search with an uploaded image or audio file and/or text",
              responses=errors(400, 404, 409, 413, 429, 503))
    async def api_search_upload(s: StateDep, file: Annotated[UploadFile | None, File()] = None,
                                q: Annotated[str, Form()] = "", k: Annotated[int, Form(ge=1, le=200)] = 24,
                                offset: Annotated[int, Form(ge=0, le=100_000)] = 0,
                                kind: Annotated[list[str], Form()] = [],
                                under: Annotated[list[str], Form()] = [],
                                after: Annotated[str | None, Form()] = None,
                                before: Annotated[str | None, Form()] = None,
                                place: Annotated[str | None, Form()] = None):
        req = SearchRequest(texts=[q] if q.strip() else [], k=k, offset=offset, kinds=kind, under=under,
                            after=after, before=before, place=place)
        if file is None or not file.filename:
            return await answer(s, req)
        tmp_path = await run_in_threadpool(save_upload, s.settings.home, file)
        try:
            req.files = [Path(tmp_path)]
            req.file_names = [os.path.basename(file.filename)]
            return await answer(s, req)
        finally:
            try:
                os.unlink(tmp_path)
            except OSError:
                pass

    @app.get("/api/media/{media_id}", summary="Details of one file", responses=errors(404))
    def api_media(s: StateDep, media_id: MediaId):
        m = s.service.media(media_id)
        m.pop("content_hash", None)
        m["name"] = os.path.basename(m["path"])
        m["url"] = f"/media/{media_id}"
        m["thumb"] = f"/thumb/{media_id}?size=512"
        return m

    @app.api_route("/media/{media_id}", methods=["GET", "HEAD"], summary="The file's bytes (supports HTTP range requests)",
                   response_class=FileResponse,
                   responses={200: {"content": {t: {} for t in [*SAFE_TYPES.values(), "application/octet-stream"]},
                                    "description": "The file"},
                              206: {"description": "Part of the file (a Range request)"},
                              416: {"description": "The range asked for is outside the file"},
                              **errors(404)})
    def media_bytes(s: StateDep, media_id: MediaId):
        m = s.service.media(media_id)
        path = s.service.file_of(m)
        kind, fmt = detect(path)
        ctype = SAFE_TYPES.get((kind, fmt))
        if ctype is None:  # never inline anything we did not recognise (SVG, HTML...)
            return FileResponse(path, media_type="application/octet-stream",
                                filename=display(os.path.basename(path)), content_disposition_type="attachment")
        return FileResponse(path, media_type=ctype, filename=display(os.path.basename(path)),
                            content_disposition_type="inline")

    @app.get("/thumb/{media_id}", summary="A cached thumbnail (sizes 128, 256, 512)", response_class=FileResponse,
             responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The thumbnail"},
                        **errors(404, 422)})
    def thumb(s: StateDep, media_id: MediaId, size: Annotated[int, Q(ge=16, le=2048)] = 256,
              t: Annotated[float | None, Q(ge=0, le=1e9)] = None):
        m = s.service.media(media_id)
        s.service.file_of(m)
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
