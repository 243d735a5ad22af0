"""The routes of the page and the API. Thin: translate the request into a
service call (search/service.py) and shape the answer; no business logic."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi import Query as Q
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from mediasearch.indexer.captioners import captioner_available
from mediasearch.indexer.media.detect import detect
from mediasearch.indexer.media.thumbs import SIZES, NotCached, thumbnail
from mediasearch.search.service import MAX_ID, SearchRequest
from mediasearch.search.status import gather_status
from mediasearch.store.errors import MediaDecodeError, QueryError
from mediasearch.store.paths import display
from mediasearch.store.schema import KINDS

from .envelope import answer_dict, duplicates_dict, result_dict
from .security import KEY_COOKIE
from .state import SAFE_TYPES, MediaId, State, StateDep, errors, save_upload

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))  # autoescapes HTML
router = APIRouter()
Order = Literal["relevance", "newest", "oldest"]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request, s: StateDep, key: str | None = None):
    if key is not None and s.api_key is not None:
        # Trade the key in the URL for a cookie, then drop it from the address
        # bar (the rest of the query stays); Secure when served over HTTPS.
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "key"])
        resp = RedirectResponse("/" + (f"?{rest}" if rest else ""), status_code=303)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return resp
    return TEMPLATES.TemplateResponse(request, "index.html", {"kinds": KINDS})

async def answer(s: State, req: SearchRequest) -> dict:
    """Admitted before a worker thread is taken, so the wait is bounded."""
    async with s.limit.admit():
        return answer_dict(await run_in_threadpool(s.service.search, req))

@router.get("/api/search", summary="Search by text (and 'more like this')",
         responses=errors(400, 404, 409, 429, 503))
async def api_search(s: StateDep, q: str = "", k: Annotated[int, Q(ge=1, le=200)] = 24,
                     offset: Annotated[int, Q(ge=0, le=100_000)] = 0,
                     kind: Annotated[list[str], Q()] = [],
                     under: Annotated[list[str], Q()] = [],
                     not_: Annotated[list[str], Q(alias="not")] = [],
                     after: str | None = None, before: str | None = None,
                     like: Annotated[list[int], Q()] = [],
                     unlike: Annotated[list[int], Q()] = [],
                     lexical: bool = True, rerank: bool = False, place: str | None = None,
                     plain: Annotated[list[str], Q()] = [], all: bool = False,
                     order: Order = "relevance"):
    """``q`` is read for dates ("July 2019"), places ("in Lisbon"), kinds
    ("videos of"), negatives ("-cat", "not screenshots") and "exact words";
    ``plain`` (repeatable: date, place, kind, not, exact, all) leaves a
    reading as words. ``not`` adds negatives; ``like``/``unlike``
    (repeatable) refine by results marked good or bad. Hits below the
    calibrated cut-off are held back unless ``all=true``. ``order``: relevance
    (best first), newest or oldest (the matches re-ordered by date, each hit
    with ``when``, the day it was taken)."""
    if any(not 1 <= i <= MAX_ID for i in [*like, *unlike]):
        raise QueryError("like/unlike: not a media id")
    req = SearchRequest(texts=[q] if q.strip() else [], nots=not_, like=like, unlike=unlike, k=k,
                        offset=offset, kinds=kind, under=under, after=after, before=before,
                        place=place, lexical=lexical, rerank=rerank, plain=plain, all=all, order=order)
    return await answer(s, req)

@router.post("/api/search", summary="Search with an uploaded image or audio file and/or text",
          responses=errors(400, 404, 409, 413, 429, 503))
async def api_search_upload(s: StateDep, file: Annotated[UploadFile | None, File()] = None,
                            q: Annotated[str, Form()] = "", k: Annotated[int, Form(ge=1, le=200)] = 24,
                            offset: Annotated[int, Form(ge=0, le=100_000)] = 0,
                            kind: Annotated[list[str], Form()] = [],
                            under: Annotated[list[str], Form()] = [],
                            after: Annotated[str | None, Form()] = None,
                            before: Annotated[str | None, Form()] = None,
                            place: Annotated[str | None, Form()] = None,
                            plain: Annotated[list[str], Form()] = [], all: Annotated[bool, Form()] = False,
                            order: Annotated[Order, Form()] = "relevance"):
    req = SearchRequest(texts=[q] if q.strip() else [], k=k, offset=offset, kinds=kind, under=under,
                        after=after, before=before, place=place, plain=plain, all=all, order=order)
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

@router.get("/api/duplicates", summary="Groups of near-identical pictures and videos, each with a suggested keeper")
async def api_duplicates(s: StateDep):
    async with s.limit.admit():
        return {"groups": duplicates_dict(await run_in_threadpool(s.service.duplicates))}


@router.get("/api/events", summary="Trips, days out and evenings, newest first",
            responses=errors(400, 409, 429, 503))
async def api_events(s: StateDep, k: Annotated[int, Q(ge=1, le=1000)] = 100, offset: Annotated[int, Q(ge=0)] = 0,
                     q: Annotated[str, Q(max_length=500)] = ""):
    """Newest first; with ``q``, the events found by what happened in them
    ("the beach trip"), best first, each with the files that matched (a
    search: admitted like one)."""
    if q.strip():
        async with s.limit.admit():
            _, ranked = await run_in_threadpool(s.service.events_matching, q, k)
        return {"events": [{**e.to_dict(), "cover": f"/thumb/{hits[0].media_id}?size=256", "score": round(score, 4),
                            "matched": [result_dict(h) for h in hits[:5]]} for e, score, hits in ranked],
                "total": len(ranked)}
    events = await run_in_threadpool(s.service.events)
    out = []
    for e in events[offset:offset + k]:
        out.append({**e.to_dict(), "cover": f"/thumb/{min(e.media_ids)}?size=256"})
    return {"events": out, "total": len(events)}


class EventEdit(BaseModel):
    kind: Literal["name", "merge", "split"]
    name: str | None = Field(None, max_length=200)
    other: int | None = Field(None, ge=1, le=2**62)  # merge: an event id; split: a file id in the event


@router.post("/api/events/{event_id}/edit", summary="Name an event, merge another into it, or split it before a file",
             responses=errors(400, 404))
def api_edit_event(s: StateDep, event_id: MediaId, body: EventEdit):
    s.service.edit_event(body.kind, event_id, body.other, body.name)
    return {"ok": True}


@router.get("/api/map", summary="Where the library was taken: clusters of files (cell: degrees), files without GPS counted")
def api_map(s: StateDep, cell: Annotated[float, Q(ge=0.01, le=90)] = 5.0):
    out = s.service.map(cell)
    for c in out["clusters"]:
        c["thumb"] = f"/thumb/{c['cover']}?size=128"
    return {**out, "outlines": "/static/world.json"}


@router.get("/api/timeline", summary="The library by month, newest first, with each month's events")
def api_timeline(s: StateDep):
    months = s.service.timeline()
    for m in months:
        for e in m["events"]:
            e["cover"] = f"/thumb/{e['id']}?size=256"
    return {"months": months, "years": sorted({m["month"][:4] for m in months}, reverse=True)}


@router.get("/api/events/{event_id}", summary="One event and its files, in the order taken", responses=errors(404))
def api_event(s: StateDep, event_id: MediaId):
    found, files = s.service.event(event_id)
    return {"event": found.to_dict(), "results": [result_dict(r) for r in files]}


@router.get("/api/recent", summary="The files added last, newest first (the landing view)")
def api_recent(s: StateDep, n: Annotated[int, Q(ge=1, le=100)] = 12):
    return {"results": [result_dict(r) for r in s.service.recent(n)]}


@router.get("/api/media/{media_id}", summary="Details of one file", responses=errors(404))
def api_media(s: StateDep, media_id: MediaId):
    m = s.service.media(media_id)
    m.pop("content_hash", None)
    m["name"] = os.path.basename(m["path"])
    m["url"] = f"/media/{media_id}"
    m["thumb"] = f"/thumb/{media_id}?size=512"
    return m

MEDIA_RESPONSES = {200: {"content": {t: {} for t in [*SAFE_TYPES.values(), "application/octet-stream"]},
                         "description": "The file"},
                   206: {"description": "Part of the file (a Range request)"},
                   416: {"description": "The range asked for is outside the file"},
                   **errors(404)}


# GET and HEAD as two operations: one route for both gave the OpenAPI
# document one operationId twice (clients generated from it break).
@router.head("/media/{media_id}", summary="The file's headers (size, type) without its bytes",
             response_class=FileResponse, responses=MEDIA_RESPONSES, operation_id="media_head")
@router.get("/media/{media_id}", summary="The file's bytes (supports HTTP range requests)",
            response_class=FileResponse, responses=MEDIA_RESPONSES, operation_id="media_bytes")
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

@router.get("/thumb/{media_id}", summary="A cached thumbnail (sizes 128, 256, 512)", response_class=FileResponse,
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

@router.get("/api/status", summary="Model, counts, index size, failures, watcher")
def api_status(s: StateDep):
    info = gather_status(s.settings, 50, s.lib.catalog)
    info["sizes"] = list(SIZES)
    # Reranking is offered on the page only where a captioner's weights are installed.
    info["captioner"] = {"spec": s.settings.captioner, "available": captioner_available(s.settings.captioner)}
    return info
