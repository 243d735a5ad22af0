"""The FastAPI application: assembles the routes (routes.py), the shared
state (state.py), the API docs served locally, the error handlers and the
guard middleware."""
from __future__ import annotations

import asyncio
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from mediasearch.indexer.library import Library
from mediasearch.store.errors import MediaSearchError, http_status
from mediasearch.store.settings import Settings

from .people_routes import router as people_router
from .routes import router
from .security import GuardMiddleware, JsonErrors, Overloaded
from .state import PathSafeJSON, State

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


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


async def unload_when_idle(library: Library, idle: float) -> None:
    """Free the model's memory between bursts of searches (a server left
    running for days); the next search loads it again (bundled: 0.5 s)."""
    while True:
        await asyncio.sleep(min(60.0, max(idle / 2, 0.05)))
        if await asyncio.to_thread(library.embedder.unload_if_idle, idle):
            log.info("model unloaded after %.0f s without a search; the next one loads it again", idle)


def create_app(settings: Settings, model: str | None = None, api_key: str | None = None,
               allowed_hosts: list[str] | None = None, cors_origins: list[str] | None = None,
               watch_roots: list[str] | None = None, embedder=None, library: Library | None = None) -> FastAPI:
    """``embedder`` is for programmatic use (benchmarks): a ready model object.
    ``library``: share an open Library (the in-process watcher's), so searches
    use the index it keeps up to date in memory instead of reloading it."""
    settings.ensure_home()
    own_library = library is None
    library = library or Library(settings, model, embedder=embedder)
    state = State(settings, library, [os.path.realpath(r) for r in watch_roots or []], api_key)
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # A shared library has a watcher embedding new files: it keeps the model.
        idle = settings.unload_idle_model if own_library else 0
        unloader = asyncio.create_task(unload_when_idle(library, idle)) if idle > 0 else None
        yield
        if unloader is not None:
            unloader.cancel()
        if own_library:
            library.close()

    app = FastAPI(title="mediasearch", description="Semantic search over your own photos, videos and audio.",
                  version="0.1.0", lifespan=lifespan, default_response_class=PathSafeJSON,
                  docs_url=None, redoc_url=None)
    app.state.ms = state
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    mount_docs(app)

    @app.exception_handler(MediaSearchError)
    async def domain_error(_request: Request, exc: MediaSearchError):
        return PathSafeJSON({"detail": str(exc)}, status_code=http_status(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        # One string, as the schema documents for every error (FastAPI's own is a list).
        parts = [".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body")) + ": " + e.get("msg", "")
                 for e in exc.errors()]
        return PathSafeJSON({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.exception_handler(Overloaded)
    async def overloaded(_request: Request, exc: Overloaded):
        return PathSafeJSON({"detail": exc.message}, status_code=exc.status, headers={"Retry-After": "2"})

    app.include_router(router)
    app.include_router(people_router)
    app.add_middleware(JsonErrors)

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["X-API-Key"])
    hosts = {"127.0.0.1", "localhost", "::1", *(allowed_hosts or [])}
    app.add_middleware(GuardMiddleware, allowed_hosts=hosts, api_key=api_key,
                       max_body=settings.web_max_upload_bytes)
    return app
