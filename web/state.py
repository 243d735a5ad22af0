"""What every route shares: the per-app state (settings, library, the search
service, the concurrency limit), its dependency, the documented error
answers, the JSON response class and the upload spool."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request, UploadFile
from fastapi import Path as FPath
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mediasearch.indexer.library import Library
from mediasearch.search.service import MAX_ID, SearchService
from mediasearch.store.paths import display
from mediasearch.store.settings import Settings

from .security import ConcurrencyLimit

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
    def __init__(self, settings: Settings, library: Library, watch_roots: list[str], api_key: str | None = None):
        self.settings = settings
        self.api_key = api_key
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
            self._captioner = resolve_captioner(self.settings.captioner, self.settings.device)
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
